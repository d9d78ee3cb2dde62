import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliKindByName } from '../../../cli/kinds/index.js';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import { allTaskKinds, selectTaskKind } from '../../../shared/tasks/registry.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { fieldOf } from '../../helpers/task-kinds.js';

/** A few raw specs per kind, as a gRPC client might send them (some relying on defaults). */
const SAMPLES: Record<string, unknown[]> = {
  backtest: [
    { symbols: ['BTCUSDT'] },
    { symbols: ['A', 'B'], feeBps: 0, strategy: 'rsi-reversion', params: { risk_free: { start: 0.02, stop: 0.02, step: 0 } }, search: { method: 'random', samples: 5, seed: 0 } },
    { symbols: ['A'], dataset: { bars: 3000, seed: 0 }, walkForward: { inSampleBars: 1000, outOfSampleBars: 500, anchored: true }, constraints: [{ metric: 'trades', op: '>=', value: 1 }] },
  ],
  'market-analysis': [{ assets: ['BTCUSDT'] }, { assets: ['A', 'B'], timeframes: ['4h', '1h'], indicators: ['macd', 'rsi'], includeSeries: true, dataset: { bars: 800 } }],
  noop: [{}, { partitions: 3, workMs: 5, failPartition: '2' }],
};

describe('the task kind registry', () => {
  const kinds = allTaskKinds();

  it('lists each kind once, with a one-line description, its own JobSpec member and a CLI file', () => {
    const jobSpec = loadQuantgridProto().definition['quantgrid.v1.JobSpec'] as { type: { field: Array<{ name: string; type: string }> } };
    // The oneof's members are JobSpec's message fields (the other fields are scalars).
    const members = jobSpec.type.field.filter((field) => field.type === 'TYPE_MESSAGE');
    assert.deepEqual(new Set(kinds.map((kind) => kind.name)).size, kinds.length);
    assert.deepEqual(new Set(kinds.map((kind) => kind.specMember)).size, kinds.length);
    assert.equal(members.length, kinds.length, 'every JobSpec.kind member has its kind');
    for (const kind of kinds) {
      assert.match(kind.description, /^[a-z][^\n]{10,150}$/, kind.name);
      assert.ok(Object.keys(kind.defaults).length > 0 && Object.keys(kind.limits).length > 0, `${kind.name} exports its defaults and limits`);
      // The loader names fields as they decode (camelCase); specField is the proto's own spelling.
      assert.ok(members.some((field) => field.name === kind.specMember), `JobSpec has ${kind.specField}`);
      assert.equal(kind.specField.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), kind.specMember, kind.name);
      assert.equal(cliKindByName(kind.name)?.kind, kind, `cli/kinds/${kind.name}.ts`);
      assert.ok(SAMPLES[kind.name], `samples of ${kind.name} in this test`);
    }
  });

  it('selects the kind by its JobSpec member and names the field when none is set', () => {
    for (const kind of kinds) assert.equal(selectTaskKind({ kind: kind.specMember, [kind.specMember]: {} }).kind, kind);
    assert.equal(fieldOf(() => selectTaskKind({})), 'spec.kind');
  });

  it('each kind\'s wire form of a validated spec validates back to the same spec, and says which stored datasets it reads', () => {
    for (const kind of kinds) {
      for (const raw of SAMPLES[kind.name]) {
        const spec = kind.validate(structuredClone(raw), DEFAULT_SPEC_LIMITS);
        assert.deepEqual(kind.validate(kind.toWire(spec), DEFAULT_SPEC_LIMITS), spec, `${kind.name} ${JSON.stringify(raw)}`);
        assert.deepEqual(kind.datasets(spec), [], 'synthetic data: no stored dataset');
      }
    }
    const id = 'ab'.repeat(32);
    for (const kind of kinds.filter((k) => k.resolveDatasets)) {
      const symbols = kind.name === 'backtest' ? { symbols: ['X'] } : { assets: ['X'] };
      const spec = kind.validate({ ...symbols, dataset: { name: `sha256:${id}`, bars: 500 } }, DEFAULT_SPEC_LIMITS);
      assert.deepEqual(kind.datasets(spec), [id], kind.name);
    }
  });
});
