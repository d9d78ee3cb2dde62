import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DatasetLookupError, validateSubmission } from '../../../coordinator/jobs/job-submission.js';
import type { SubmitJobRequest, SubmitJobRequest__Output } from '../../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import { MAX_DEADLINE_SECONDS } from '../../../shared/tasks/submission-limits.js';
import type { BacktestSpec } from '../../../shared/tasks/backtest/index.js';
import type { DatasetIndex } from '../../../shared/tasks/stored-datasets.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { fieldOf } from '../../helpers/task-kinds.js';

const NO_DATASETS: DatasetIndex = {
  info: async () => undefined,
  resampledBars: async () => assert.fail('no resampled count needed'),
  yearDays: async () => assert.fail('no year days needed'),
  resolveTag: async () => undefined,
};

function request(overrides: Partial<SubmitJobRequest__Output> = {}): SubmitJobRequest__Output {
  return {
    spec: { noop: { partitions: 2, workMs: 0, failPartition: '' }, requiredCapabilities: [], maxPartitions: 0, kind: 'noop' } as never,
    name: '',
    priority: 0,
    requestId: '',
    deadlineSeconds: 0,
    noCache: false,
    full: false,
    ...overrides,
  };
}

/** A request as the coordinator receives it: encoded and decoded with the real proto. */
function overTheWire(value: SubmitJobRequest): SubmitJobRequest__Output {
  const method = (loadQuantgridProto().definition['quantgrid.v1.Coordinator'] as Record<string, {
    requestSerialize(value: unknown): Buffer;
    requestDeserialize(bytes: Buffer): SubmitJobRequest__Output;
  }>).SubmitJob;
  return method.requestDeserialize(method.requestSerialize(value));
}

async function fieldOfAsync(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    return fieldOf(() => {
      throw error;
    });
  }
  assert.fail('expected a ValidationError');
}

describe('validateSubmission', () => {
  it('turns a deadline into an absolute time and keeps the request id and cache choice', async () => {
    const before = Date.now();
    const data = await validateSubmission(request({ deadlineSeconds: 90, requestId: 'nightly-1', noCache: true, priority: 5 }), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.ok(data.deadlineAt! >= before + 90_000 && data.deadlineAt! <= Date.now() + 90_000);
    assert.equal(data.requestId, 'nightly-1');
    assert.equal(data.noCache, true);
    assert.equal(data.priority, 5);
    assert.equal((await validateSubmission(request(), DEFAULT_SPEC_LIMITS, NO_DATASETS)).deadlineAt, 0);
  });

  it('a full run (every unit from its first bar) also reuses no cached partitions', async () => {
    const full = await validateSubmission(request({ full: true }), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.deepEqual([full.full, full.noCache], [true, true]);
    const plain = await validateSubmission(request(), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.deepEqual([plain.full, plain.noCache], [false, false]);
  });

  it('names the field of a bad request id or deadline', async () => {
    assert.equal(await fieldOfAsync(() => validateSubmission(request({ requestId: 'x'.repeat(201) }), DEFAULT_SPEC_LIMITS, NO_DATASETS)), 'request_id');
    assert.equal(await fieldOfAsync(() => validateSubmission(request({ deadlineSeconds: MAX_DEADLINE_SECONDS + 1 }), DEFAULT_SPEC_LIMITS, NO_DATASETS)), 'deadline_seconds');
  });

  it('requires lower-case capabilities, as agents advertise them', async () => {
    const spec = { ...request().spec!, requiredCapabilities: ['gpu', 'GPU'] };
    assert.equal(await fieldOfAsync(() => validateSubmission(request({ spec }), DEFAULT_SPEC_LIMITS, NO_DATASETS)), 'spec.required_capabilities[1]');
  });

  it('stores the normalised spec: the kind\'s defaults applied on the server, an explicit 0 kept', async () => {
    const omitted = await validateSubmission(overTheWire({ spec: { backtest: { symbols: ['BTCUSDT'] } } }), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    const spec = omitted.kindSpec as BacktestSpec;
    assert.equal(omitted.kind, 'backtest');
    assert.deepEqual([spec.feeBps, spec.slippageBps, spec.dataset.bars, spec.dataset.seed, spec.topN, spec.timeframe], [5, 1, 20_000, 42, 20, '1h']);
    // GetJob shows the spec as it runs: the JobSpec rebuilt from the normalised spec.
    assert.equal(omitted.spec.backtest?.feeBps, 5);
    assert.deepEqual(omitted.spec.backtest?.dataset, { name: 'synthetic', bars: 20_000, seed: 42 });

    const zero = await validateSubmission(
      overTheWire({ spec: { backtest: { symbols: ['BTCUSDT'], feeBps: 0, slippageBps: 0, dataset: { seed: 0 } } } }),
      DEFAULT_SPEC_LIMITS,
      NO_DATASETS,
    );
    const zeroSpec = zero.kindSpec as BacktestSpec;
    assert.deepEqual([zeroSpec.feeBps, zeroSpec.slippageBps, zeroSpec.dataset.seed], [0, 0, 0]);

    const analysis = await validateSubmission(overTheWire({ spec: { marketAnalysis: { assets: ['BTCUSDT'] } } }), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.equal(analysis.kind, 'market-analysis');
    assert.equal((analysis.kindSpec as { dataset: { bars: number } }).dataset.bars, 5000);
    const noop = await validateSubmission(overTheWire({ spec: { noop: {} } }), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.equal((noop.kindSpec as { partitions: number }).partitions, 4);
  });

  it('the stored JobSpec validates back to the same spec (what a client re-running GetJob\'s spec gets)', async () => {
    const data = await validateSubmission(
      overTheWire({ spec: { backtest: { symbols: ['BTCUSDT'], params: { year_days: { start: 252, stop: 252, step: 0 } }, walkForward: { inSampleBars: 3000, outOfSampleBars: 1000 } } } }),
      DEFAULT_SPEC_LIMITS,
      NO_DATASETS,
    );
    const again = await validateSubmission(overTheWire({ spec: data.spec } as SubmitJobRequest), DEFAULT_SPEC_LIMITS, NO_DATASETS);
    assert.deepEqual(again.kindSpec, data.kindSpec);
    assert.deepEqual(again.spec, data.spec);
  });

  it('tells a dataset store failure from a bad spec', async () => {
    const down: DatasetIndex = { info: async () => Promise.reject(new Error('connection refused')), resampledBars: async () => 0, yearDays: async () => 365, resolveTag: async () => undefined };
    const stored = overTheWire({ spec: { backtest: { symbols: ['BTCUSDT'], dataset: { name: `sha256:${'ab'.repeat(32)}` } } } });
    await assert.rejects(validateSubmission(stored, DEFAULT_SPEC_LIMITS, down), (error) => error instanceof DatasetLookupError && /connection refused/.test(error.message));
    assert.equal(await fieldOfAsync(() => validateSubmission(stored, DEFAULT_SPEC_LIMITS, NO_DATASETS)), 'backtest.dataset.name');
  });
});
