/**
 * Users' strategies on a real local cluster (Consul, Redis, a coordinator, two agents; secure by
 * default): pushed through the CLI and the API, swept with the result computed independently in
 * this process, the exact version recorded by the job, and hostile strategies (an endless loop, a
 * memory bomb, a throw) failing their partitions without retry while the agents stay healthy and
 * a job of a well-behaved strategy runs beside them.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import type { CoordinatorConnection } from '../../shared/client/coordinator-connection.js';
import { watchToEnd } from '../../shared/client/watch-to-end.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';
import { installSandboxedStrategy } from '../../shared/sandbox/sandbox-registry.js';
import { bundleStrategy } from '../../shared/sandbox/strategy-bundle.js';
import { backtestKind } from '../../shared/tasks/backtest/index.js';
import { connect, JOB_TIMEOUT_MS, runInOneProcess, submitAndWait } from '../helpers/jobs.js';
import { runCli } from '../helpers/cli-process.js';

const EXAMPLES = fileURLToPath(new URL('../../../examples/strategies/', import.meta.url));
/** The agents' time limit per partition for a strategy's code (the endless loop hits it). */
const TIMEOUT_MS = 3_000;
const MEMORY_MB = 64;

/** A strategy that behaves on the push check's synthetic bars (2,000) and turns hostile on longer series. */
function hostile(name: string, attack: string): string {
  return `import { defineStrategy, sma } from 'quantgrid/strategy';
export default defineStrategy({
  name: '${name}',
  params: { fast: { min: 1, max: 500, period: true, default: { start: 5, stop: 20, step: 5 } }, slow: { min: 2, max: 500, period: true, default: { start: 30, stop: 60, step: 10 } } },
  constraint: ['fast', 'slow'],
  indicators: (p) => ({ fast: sma(p.fast), slow: sma(p.slow) }),
  rule(t, { ind, n }) {
    if (n > 2500 && t === 100) { ${attack} }
    return ind.fast[t] > ind.slow[t] ? 1 : 0;
  },
});
`;
}

describe('user strategies: push, sweep, isolation (real cluster)', { timeout: 300_000 }, () => {
  let cluster: LocalCluster;
  let coordinator: CoordinatorConnection;
  let dir: string;
  const cli = (...args: string[]) => runCli(cluster.coordinator, args, 90_000);
  const sandboxArgs = ['--strategy-timeout-ms', String(TIMEOUT_MS), '--strategy-memory-mb', String(MEMORY_MB)];

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'qg-strategies-test-'));
    cluster = await startLocalCluster({ agents: [{ slots: 2, extraArgs: sandboxArgs }, { slots: 1, extraArgs: sandboxArgs }] });
    coordinator = connect(cluster.coordinator);
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    coordinator?.close();
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const sweep = (strategy: string, extra: Record<string, unknown> = {}) => ({
    spec: {
      backtest: {
        symbols: ['BTCUSDT', 'ETHUSDT'],
        timeframe: '1h',
        dataset: { bars: 3_000, seed: 11 },
        strategy,
        params: { fast: { start: 5, stop: 20, step: 5 }, slow: { start: 30, stop: 60, step: 10 }, trend: { start: 100, stop: 200, step: 50 }, short: { start: 0, stop: 1, step: 1 } },
        topN: 10,
        ...extra,
      },
      maxPartitions: 6,
    },
  });

  test('push by the CLI, list, show; a sweep runs the exact version and equals the run in one process', async () => {
    const pushed = cli('strategy', 'push', path.join(EXAMPLES, 'triple-ma.ts'), '--json');
    assert.equal(pushed.status, 0, pushed.stderr);
    const info = JSON.parse(pushed.stdout) as { id: string; name: string; manifestJson: string };
    assert.equal(info.name, 'triple-ma');
    assert.match(info.id, /^[0-9a-f]{64}$/);
    const again = cli('strategy', 'push', path.join(EXAMPLES, 'triple-ma.ts'), '--json');
    assert.equal(JSON.parse(again.stdout).alreadyPresent, true);

    const listed = cli('strategy', 'ls');
    assert.equal(listed.status, 0, listed.stderr);
    assert.match(listed.stdout, /triple-ma\s*│\s*[0-9a-f]{12}\s*│\s*yes\s*│\s*fast, slow, trend\s*│\s*admin/);
    const shown = cli('strategy', 'show', 'triple-ma');
    assert.match(shown.stdout, /trend\s*│\s*integer, period\s*│\s*2\s*│\s*5000\s*│\s*100:200:50/);

    const { job } = await submitAndWait(coordinator, sweep('triple-ma'));
    assert.equal(job.status, 'JOB_STATUS_COMPLETED', job.error);
    assert.equal(job.spec?.backtest?.strategy, `triple-ma@${info.id}`, 'the job records the exact version');
    assert.ok((job.progress?.partitionsTotal ?? 0) > 1, 'several partitions');

    // The same job in this process, the bundle run in a local sandbox: the merged result is identical.
    installSandboxedStrategy(`triple-ma@${info.id}`, await bundleStrategy(path.join(EXAMPLES, 'triple-ma.ts')), JSON.parse(info.manifestJson) as StrategyManifest);
    const local = runInOneProcess(backtestKind, { ...sweep(`triple-ma@${info.id}`).spec.backtest });
    assert.deepEqual(JSON.parse(job.resultJson), local);

    // Walk-forward and random search with it: equal to the runs in one process too.
    // Exit rules, which every strategy can use, swept with its own parameters.
    const withExits = {
      params: {
        fast: { start: 5, stop: 10, step: 5 },
        slow: { start: 30, stop: 40, step: 10 },
        trend: { start: 100, stop: 100, step: 0 },
        short: { start: 0, stop: 1, step: 1 },
        stop_loss: { start: 0, stop: 0.02, step: 0.01 },
        trailing_stop_atr: { start: 0, stop: 3, step: 3 },
      },
    };
    for (const extra of [{ walkForward: { inSampleBars: 1_500, outOfSampleBars: 500, anchored: false } }, { search: { method: 'random', samples: 12, seed: 3 } }, withExits]) {
      const watched = await submitAndWait(coordinator, sweep('triple-ma', extra));
      assert.equal(watched.job.status, 'JOB_STATUS_COMPLETED', watched.job.error);
      assert.deepEqual(JSON.parse(watched.job.resultJson), runInOneProcess(backtestKind, { ...sweep(`triple-ma@${info.id}`, extra).spec.backtest }), JSON.stringify(extra));
    }

    // NAME@ID with a prefix names the same version; an unknown name is INVALID_ARGUMENT naming the field.
    const fixed = await submitAndWait(coordinator, sweep(`triple-ma@${info.id.slice(0, 10)}`));
    assert.equal(fixed.job.spec?.backtest?.strategy, `triple-ma@${info.id}`);
    await assert.rejects(coordinator.submitJob(sweep('no-such-strategy')), (error: { code: number; message: string }) => {
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.match(error.message, /backtest\.strategy: unknown strategy "no-such-strategy"/);
      return true;
    });
  });

  test('hostile strategies fail their partitions without retry, naming the strategy and the limit; the agents stay healthy and run other work meanwhile', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['spin', 'for (;;) {}', new RegExp(`strategy spin@[0-9a-f]{64} exceeded its time limit of ${TIMEOUT_MS} ms`)],
      ['bomb', 'const hoard = []; for (;;) hoard.push(new Array(1e5).fill(t));', new RegExp(`strategy bomb@[0-9a-f]{64} exceeded its memory limit of ${MEMORY_MB} MiB`)],
      ['thrower', "throw new Error('deliberate failure');", /strategy thrower@[0-9a-f]{64} failed in run: .*deliberate failure/],
    ];
    for (const [name, attack] of cases) {
      const file = path.join(dir, `${name}.ts`);
      await writeFile(file, hostile(name, attack));
      await coordinator.pushStrategy(await bundleStrategy(file), '');
    }
    const good = await coordinator.submitJob(sweep('triple-ma', { dataset: { bars: 20_000, seed: 12 } }));
    const hostileJobs = await Promise.all(cases.map(([name]) => coordinator.submitJob(sweep(name, { params: { fast: { start: 5, stop: 20, step: 5 }, slow: { start: 30, stop: 60, step: 10 } } }))));
    for (const [i, { jobId }] of hostileJobs.entries()) {
      const watched = await watchToEnd(coordinator, jobId, { timeoutMs: JOB_TIMEOUT_MS });
      assert.equal(watched.job.status, 'JOB_STATUS_FAILED');
      assert.match(watched.job.error, cases[i][2]);
      assert.match(watched.job.error, /partition \d+ failed/);
      const retried = watched.events.filter((event) => event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED');
      assert.deepEqual(retried.map((event) => event.message), [], `${cases[i][0]}: no partition retried`);
    }
    const goodEnd = await watchToEnd(coordinator, good.jobId, { timeoutMs: JOB_TIMEOUT_MS });
    assert.equal(goodEnd.job.status, 'JOB_STATUS_COMPLETED', goodEnd.job.error);
    const nodes = (await coordinator.listNodes()).nodes;
    assert.equal(nodes.length, 2);
    for (const node of nodes) assert.equal(node.state, 'ready', `${node.id} is ${node.state}`);
    const after = await submitAndWait(coordinator, sweep('triple-ma'));
    assert.equal(after.job.status, 'JOB_STATUS_COMPLETED', after.job.error);
  });

  test('rm by name@id (an id prefix), then by name: gone from listings and from show', async () => {
    const versions = (await coordinator.listStrategies('spin')).strategies;
    assert.equal(versions.length, 1);
    const removed = cli('strategy', 'rm', `spin@${versions[0].id.slice(0, 12)}`);
    assert.equal(removed.status, 0, removed.stderr);
    assert.match(removed.stdout, /removed: spin@/);
    const missing = cli('strategy', 'show', 'spin');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /no strategy "spin"/);
    assert.equal(cli('strategy', 'rm', 'bomb').status, 0);
    assert.deepEqual((await coordinator.listStrategies()).strategies.map((s) => s.name).sort(), ['thrower', 'triple-ma']);
  });
});
