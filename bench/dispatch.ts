/**
 * The dispatch path with two local agents (8 slots each) and no-op partitions (workMs 0).
 *
 * (a) End to end through the real coordinator process: a noop job of 20,000 partitions submitted
 *     over gRPC and watched to the end, 3 runs. Partitions per second (the job's first
 *     PARTITION_STARTED → COMPLETED, and submit → COMPLETED) and CPU per partition of every process
 *     (coordinator, agents, Redis, Consul, this process) from /proc.
 * (b) The coordinator's own overhead per partition, in this process: NodeDiscovery + NodeTable +
 *     NodeStatusProber + PartitionDispatcher against the same Consul and agents, fed 20,000 noop
 *     partition tasks; dispatched → finished round trip per partition (16 in flight, and one at a
 *     time), this process's CPU per partition. Baseline in the same run: a bare GetStatus unary
 *     round trip to the same agents, one at a time and 16 in flight (8 per agent). 3 rounds, each
 *     measuring the baseline right before the dispatcher; medians over the rounds.
 *
 * Run: node dist/bench/dispatch.js   (QUANTGRID_BENCH_QUICK=1 for sizes ÷10;
 * QUANTGRID_BENCH_CPU_PROF=<dir> to CPU-profile the coordinator and agents, see lib/cpu-profile.ts; the
 * end-to-end runs' windows, first start → COMPLETED, go to <dir>/dispatch-windows.txt for its --windows)
 */
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { parseCoordinatorConfig } from '../coordinator/config/coordinator-config.js';
import { NodeDiscovery } from '../coordinator/nodes/node-discovery.js';
import { NodeStatusProber } from '../coordinator/nodes/node-status-prober.js';
import { NodeTable, type NodeRecord } from '../coordinator/nodes/node-table.js';
import { PartitionDispatcher, type JobDispatchContext, type PartitionListener, type PartitionTask } from '../coordinator/partitions/partition-dispatcher.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { createNodeAgentClient, type NodeAgentClient } from '../shared/grpc/clients.js';
import { createLogger } from '../shared/logging.js';
import { noopKind } from '../shared/tasks/noop/index.js';
import { DEFAULT_SPEC_LIMITS } from '../shared/tasks/task-kind.js';
import { checkNoopResult, clusterPids, recordProfileWindow, withCluster } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, size, sleep, waitFor, type Headline } from './lib/harness.js';
import { cpuDelta, readSystemCpu, snapshotCpu } from './lib/proc.js';
import { fmt, fmtMs, fmtUs, markdownTable, median, ratio, summarize, type Summary } from './lib/stats.js';

const BENCH = 'dispatch';
const AGENTS = [{ slots: 8 }, { slots: 8 }];
const IN_FLIGHT = AGENTS.reduce((sum, a) => sum + a.slots, 0);

// ---------------------------------------------------------------- (a) end to end

interface EndToEndRun {
  run: number;
  partitions: number;
  /** Partitions / s from the job's first PARTITION_STARTED to its COMPLETED event. */
  perSecondFromFirstStart: number;
  /** Partitions / s from just before SubmitJob to the COMPLETED event. */
  perSecondFromSubmit: number;
  submitToFirstStartMs: number;
  /**
   * PARTITION_STARTED events received. The first partitions can start before the watch is
   * subscribed; when any were missed, the first start is taken from when the coordinator took
   * the job (job.startedAtMs, a little earlier: the rate errs low).
   */
  startedEventsSeen: number;
  firstStartFrom: 'event' | 'job.startedAtMs';
  firstStartToLastFinishMs: number;
  lastFinishToCompletedMs: number;
  submitToCompletedMs: number;
  events: number;
  /** CPU ms per partition of each process over submit → end of watch. */
  cpuMsPerPartition: Record<string, number>;
  /** Cores each process kept busy on average over submit → end of watch (2 cores in all). */
  coresBusy: Record<string, number>;
  machineCoresBusy: number;
  /** Cores busy with processes other than this cluster and this process (other work on the machine). */
  otherCoresBusy: number;
}

async function endToEndRun(cluster: LocalCluster, run: number, partitions: number): Promise<EndToEndRun> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
  try {
    const pids = clusterPids(cluster);
    const system0 = readSystemCpu();
    const cpu0 = snapshotCpu(pids);
    const wall0 = performance.now();
    const submitAt = Date.now();
    const { jobId } = await connection.submitJob({ name: `bench-dispatch-${run}`, spec: { noop: { partitions, workMs: 0 } } });
    let firstStart = Number.POSITIVE_INFINITY;
    let startedEventsSeen = 0;
    let lastFinish = 0;
    let completedAt = 0;
    const outcome = await watchToEnd(connection, jobId, {
      timeoutMs: 30 * 60_000,
      // 20,000 partitions: count the events, keep none.
      keep: () => false,
      onEvent: (event) => {
        switch (event.type) {
          case 'JOB_EVENT_TYPE_PARTITION_STARTED':
            startedEventsSeen++;
            if (event.timeMs < firstStart) firstStart = event.timeMs;
            break;
          case 'JOB_EVENT_TYPE_PARTITION_FINISHED':
            if (event.timeMs > lastFinish) lastFinish = event.timeMs;
            break;
          case 'JOB_EVENT_TYPE_COMPLETED':
            completedAt = event.timeMs;
            break;
        }
      },
    });
    const wallMs = performance.now() - wall0;
    const cpu = cpuDelta(cpu0, snapshotCpu(pids));
    const system1 = readSystemCpu();
    checkNoopResult(outcome.job, partitions);
    const firstStartFrom = startedEventsSeen >= partitions ? 'event' : 'job.startedAtMs';
    if (firstStartFrom !== 'event') firstStart = outcome.job.startedAtMs;
    if (completedAt === 0) completedAt = outcome.job.finishedAtMs;
    // The warm-up run (0) is not a measured one.
    if (run > 0) recordProfileWindow(BENCH, firstStart, completedAt);
    const cpuMsPerPartition: Record<string, number> = {};
    const coresBusy: Record<string, number> = {};
    for (const [name, ms] of Object.entries(cpu)) {
      cpuMsPerPartition[name] = ms / partitions;
      coresBusy[name] = ms / wallMs;
    }
    return {
      run,
      partitions,
      perSecondFromFirstStart: partitions / ((completedAt - firstStart) / 1000),
      perSecondFromSubmit: partitions / ((completedAt - submitAt) / 1000),
      submitToFirstStartMs: firstStart - submitAt,
      startedEventsSeen,
      firstStartFrom,
      firstStartToLastFinishMs: lastFinish - firstStart,
      lastFinishToCompletedMs: completedAt - lastFinish,
      submitToCompletedMs: completedAt - submitAt,
      events: outcome.eventCount,
      cpuMsPerPartition,
      coresBusy,
      machineCoresBusy: (system1.busyMs - system0.busyMs) / wallMs,
      otherCoresBusy: (system1.busyMs - system0.busyMs) / wallMs - Object.values(coresBusy).reduce((a, b) => a + b, 0),
    };
  } finally {
    connection.close();
  }
}

// ---------------------------------------------------------------- (b) in process

interface BatchOutcome {
  /** dispatched → finished per partition (last attempt), ms. */
  roundTripMs: Float64Array;
  wallMs: number;
  cpuUs: number;
  retries: number;
}

let batchCounter = 0;

/**
 * Feeds n noop partitions (workMs 0) to the dispatcher at once and waits for all of them. The listener
 * only takes timestamps: the coordinator's own job bookkeeping (events, partial results) is not included.
 */
function dispatchBatch(dispatcher: PartitionDispatcher, n: number): Promise<BatchOutcome> {
  const spec = noopKind.validate({ partitions: n, workMs: 0 }, DEFAULT_SPEC_LIMITS);
  const plan = noopKind.plan(spec, { partitions: n });
  const startedAt = new Float64Array(n);
  const roundTripMs = new Float64Array(n);
  let finished = 0;
  let retries = 0;
  return new Promise((resolve, reject) => {
    let cpu0: NodeJS.CpuUsage;
    let wall0 = 0;
    const listener: PartitionListener = {
      // Sent, not accepted (started): the round trip from the coordinator's side.
      dispatched(task) {
        startedAt[task.index] = performance.now();
      },
      started() {},
      ended() {},
      progressed() {},
      retried() {
        retries++;
      },
      finished(task) {
        roundTripMs[task.index] = performance.now() - startedAt[task.index];
        if (++finished === n) {
          const cpu = process.cpuUsage(cpu0);
          resolve({ roundTripMs, wallMs: performance.now() - wall0, cpuUs: cpu.user + cpu.system, retries });
        }
      },
      failed(task, cause) {
        reject(new Error(`partition ${task.index} failed: ${cause}`));
      },
    };
    const job: JobDispatchContext = {
      jobId: `bench-inprocess-${process.pid}-${++batchCounter}`,
      kind: noopKind.name,
      specJson: JSON.stringify(spec),
      datasetIds: [],
      requiredCapabilities: [],
      priority: 0,
      owner: "bench",
      listener,
      cancelled: false,
    };
    const tasks: PartitionTask[] = plan.map((partition, index) => ({
      job,
      index,
      partition,
      attempts: 0,
      running: undefined,
      settled: false,
    }));
    cpu0 = process.cpuUsage();
    wall0 = performance.now();
    dispatcher.submit(tasks);
  });
}

/** One partition at a time: n round trips of a lone partition. */
async function dispatchSequential(dispatcher: PartitionDispatcher, n: number): Promise<BatchOutcome> {
  const roundTripMs = new Float64Array(n);
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let retries = 0;
  for (let i = 0; i < n; i++) {
    const one = await dispatchBatch(dispatcher, 1);
    roundTripMs[i] = one.roundTripMs[0];
    retries += one.retries;
  }
  const cpu = process.cpuUsage(cpu0);
  return { roundTripMs, wallMs: performance.now() - wall0, cpuUs: cpu.user + cpu.system, retries };
}

function getStatus(client: NodeAgentClient): Promise<void> {
  return new Promise((resolve, reject) => {
    client.getStatus({}, { deadline: Date.now() + 10_000 }, (error) => (error ? reject(error) : resolve()));
  });
}

/** n GetStatus calls spread evenly over the clients, `concurrency` in flight (split evenly across clients). */
async function getStatusLoad(clients: NodeAgentClient[], n: number, concurrency: number): Promise<{ roundTripMs: Float64Array; wallMs: number }> {
  const roundTripMs = new Float64Array(n);
  let next = 0;
  const wall0 = performance.now();
  const lane = async (client: NodeAgentClient): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= n) return;
      const t0 = performance.now();
      await getStatus(client);
      roundTripMs[i] = performance.now() - t0;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, k) => lane(clients[k % clients.length])));
  return { roundTripMs, wallMs: performance.now() - wall0 };
}

interface InProcessRound {
  round: number;
  loaded: { roundTrip: Summary; perSecond: number; cpuUsPerPartition: number; retries: number };
  sequential: { roundTrip: Summary; cpuUsPerPartition: number };
  getStatusSequential: { roundTrip: Summary };
  getStatusLoaded: { roundTrip: Summary; perSecond: number };
}

interface InProcessResult {
  partitions: number;
  sequentialCount: number;
  rounds: InProcessRound[];
}

async function inProcess(cluster: LocalCluster, partitions: number, sequentialCount: number, rounds: number): Promise<InProcessResult> {
  // The coordinator's own defaults (weights, attempts, heartbeat timeout, probe interval).
  const config = parseCoordinatorConfig(['node', 'bench', '--consul', cluster.consul.httpAddress, '--redis', cluster.redis.url, '--cluster-secret-file', cluster.clusterSecretFile]);
  const log = createLogger('bench-dispatch', 'warn');
  const secret = await cluster.clusterSecret();
  const table = new NodeTable(
    { weights: config.weights, specialtyBonus: config.specialtyBonus, quarantineMs: config.quarantineMs, quarantineAfterFailures: config.quarantineAfterFailures, agentTls: config.agentTls, clusterSecret: secret },
    log,
  );
  const discovery = new NodeDiscovery(config.consulUrl, log);
  discovery.on('nodes', (nodes) => table.applyDiscovery(nodes));
  const prober = new NodeStatusProber(table, { intervalMs: config.statusIntervalMs, maxPerSecond: config.statusMaxRate }, log, secret);
  // heartbeatMs 300 as coordinator/main.ts asks of the agents.
  const dispatcher = new PartitionDispatcher(table, { maxAttempts: config.maxAttempts, heartbeatTimeoutMs: config.heartbeatTimeoutMs, heartbeatMs: 300 }, log);
  const clients = cluster.agents.map((agent) => createNodeAgentClient(agent.address, {}, {}, secret));
  try {
    discovery.start();
    prober.start();
    await waitFor(
      () => {
        const ready = table.capableNodes([]);
        return ready.length === cluster.agents.length && ready.every((node: NodeRecord) => !Number.isNaN(node.rttMs));
      },
      30_000,
      'both agents discovered and probed in this process',
    );

    logProgress(BENCH, '(b) warm-up');
    await dispatchBatch(dispatcher, Math.min(2000, partitions));
    await dispatchSequential(dispatcher, Math.min(200, sequentialCount));
    await getStatusLoad(clients, 2000, IN_FLIGHT);
    await getStatusLoad(clients, 200, 1);

    // Baseline and measurement back to back in each round, so slow drifts of the machine's other
    // load hit both alike.
    const results: InProcessRound[] = [];
    for (let round = 1; round <= rounds; round++) {
      logProgress(BENCH, `(b) round ${round}/${rounds}: ${sequentialCount} GetStatus then ${sequentialCount} partitions one at a time; ${partitions} GetStatus then ${partitions} partitions, ${IN_FLIGHT} in flight`);
      const statusSequential = await getStatusLoad(clients, sequentialCount, 1);
      const sequential = await dispatchSequential(dispatcher, sequentialCount);
      const statusLoaded = await getStatusLoad(clients, partitions, IN_FLIGHT);
      const loaded = await dispatchBatch(dispatcher, partitions);
      const r: InProcessRound = {
        round,
        loaded: {
          roundTrip: summarize(loaded.roundTripMs),
          perSecond: partitions / (loaded.wallMs / 1000),
          cpuUsPerPartition: loaded.cpuUs / partitions,
          retries: loaded.retries,
        },
        sequential: { roundTrip: summarize(sequential.roundTripMs), cpuUsPerPartition: sequential.cpuUs / sequentialCount },
        getStatusSequential: { roundTrip: summarize(statusSequential.roundTripMs) },
        getStatusLoaded: { roundTrip: summarize(statusLoaded.roundTripMs), perSecond: partitions / (statusLoaded.wallMs / 1000) },
      };
      logProgress(
        BENCH,
        `(b) round ${round}: RunPartition p50 ${fmtMs(r.loaded.roundTrip.p50)} (${IN_FLIGHT} in flight) vs GetStatus ${fmtMs(r.getStatusLoaded.roundTrip.p50)}; ` +
          `one at a time ${fmtMs(r.sequential.roundTrip.p50)} vs ${fmtMs(r.getStatusSequential.roundTrip.p50)}; ${fmt(r.loaded.perSecond)}/s`,
      );
      results.push(r);
    }
    return { partitions, sequentialCount, rounds: results };
  } finally {
    dispatcher.close();
    prober.stop();
    discovery.stop();
    table.close();
    for (const client of clients) client.close();
  }
}

// ---------------------------------------------------------------- report

function printEndToEnd(runs: EndToEndRun[]): void {
  const names = Object.keys(runs[0].cpuMsPerPartition);
  const rows = runs.map((r) => [
    String(r.run),
    `${fmt(r.perSecondFromFirstStart)}/s${r.firstStartFrom === 'event' ? '' : ' (from job start)'}`,
    `${fmt(r.perSecondFromSubmit)}/s`,
    fmtMs(r.submitToFirstStartMs),
    `${r.startedEventsSeen}/${r.partitions}`,
    fmtMs(r.lastFinishToCompletedMs),
    ...names.map((n) => `${fmt(r.cpuMsPerPartition[n] * 1000)} µs (${fmt(r.coresBusy[n], 2)})`),
    fmt(r.machineCoresBusy, 2),
    fmt(r.otherCoresBusy, 2),
  ]);
  process.stdout.write(`\n### dispatch (a): end to end, ${runs[0].partitions} noop partitions, 2 agents × 8 slots\n\n`);
  process.stdout.write(
    markdownTable(
      ['run', 'first start → completed', 'submit → completed', 'submit → first start', 'STARTED events seen', 'last finish → completed', ...names.map((n) => `${n} CPU/partition (cores)`), 'machine cores busy', 'other processes (cores)'],
      rows,
    ) + '\n',
  );
}

function printInProcess(r: InProcessResult): void {
  const row = (round: number, name: string, s: Summary, extra: string) => [String(round), name, fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.max), extra];
  const rows: string[][] = [];
  for (const x of r.rounds) {
    rows.push(
      row(x.round, `RunPartition, ${IN_FLIGHT} in flight (n=${r.partitions})`, x.loaded.roundTrip, `${fmt(x.loaded.perSecond)}/s, ${fmtUs(x.loaded.cpuUsPerPartition)} CPU/partition, ${x.loaded.retries} retries`),
      row(x.round, `GetStatus, ${IN_FLIGHT} in flight (n=${r.partitions})`, x.getStatusLoaded.roundTrip, `${fmt(x.getStatusLoaded.perSecond)}/s`),
      row(x.round, `RunPartition, one at a time (n=${r.sequentialCount})`, x.sequential.roundTrip, `${fmtUs(x.sequential.cpuUsPerPartition)} CPU/partition`),
      row(x.round, `GetStatus, one at a time (n=${r.sequentialCount})`, x.getStatusSequential.roundTrip, ''),
    );
  }
  process.stdout.write(`\n### dispatch (b): in-process dispatcher vs bare GetStatus, same agents\n\n`);
  process.stdout.write(markdownTable(['round', 'round trip', 'p50', 'p90', 'p99', 'max', ''], rows) + '\n');
}

export async function runDispatch(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const partitions = size(20_000);
  const runs = 3;
  const sequentialCount = size(2_000, 100);
  const rounds = 3;
  return withCluster(AGENTS, async (cluster) => {
    // A small job first: JIT, channels, BullMQ scripts loaded.
    logProgress(BENCH, '(a) warm-up job');
    await endToEndRun(cluster, 0, Math.min(2000, partitions));
    const endToEnd: EndToEndRun[] = [];
    for (let run = 1; run <= runs; run++) {
      logProgress(BENCH, `(a) run ${run}/${runs}: ${partitions} partitions`);
      const r = await endToEndRun(cluster, run, partitions);
      logProgress(BENCH, `(a) run ${run}: ${fmt(r.perSecondFromFirstStart)}/s from first start, ${fmt(r.perSecondFromSubmit)}/s from submit, coordinator ${fmt(r.cpuMsPerPartition.coordinator * 1000)} µs CPU/partition`);
      endToEnd.push(r);
      await sleep(1000);
    }
    printEndToEnd(endToEnd);

    const b = await inProcess(cluster, partitions, sequentialCount, rounds);
    printInProcess(b);
    // Medians over the rounds.
    const m = (pick: (r: InProcessRound) => number) => median(b.rounds.map(pick));
    const loadedPerSecond = m((r) => r.loaded.perSecond);
    const loadedCpuUs = m((r) => r.loaded.cpuUsPerPartition);
    const loadedP50 = m((r) => r.loaded.roundTrip.p50);
    const loadedP99 = m((r) => r.loaded.roundTrip.p99);
    const statusLoadedP50 = m((r) => r.getStatusLoaded.roundTrip.p50);
    const statusLoadedP99 = m((r) => r.getStatusLoaded.roundTrip.p99);
    const sequentialP50 = m((r) => r.sequential.roundTrip.p50);
    const sequentialP99 = m((r) => r.sequential.roundTrip.p99);
    const statusSequentialP50 = m((r) => r.getStatusSequential.roundTrip.p50);
    const statusSequentialP99 = m((r) => r.getStatusSequential.roundTrip.p99);

    const e2eRate = median(endToEnd.map((r) => r.perSecondFromFirstStart));
    const e2eRateSubmit = median(endToEnd.map((r) => r.perSecondFromSubmit));
    const e2eCpuUs = median(endToEnd.map((r) => r.cpuMsPerPartition.coordinator * 1000));
    const headlines: Headline[] = [
      {
        name: `dispatch e2e: partitions/s, first start → completed (${partitions} × noop 0 ms, 2×8 slots)`,
        unit: '/s',
        median: e2eRate,
        baseline: loadedPerSecond,
        baselineLabel: `in-process dispatcher alone, median of ${rounds}`,
        ratio: ratio(e2eRate, loadedPerSecond),
        goal: { op: '>=', value: 1000 },
        note: `median of ${runs} runs`,
      },
      {
        name: 'dispatch e2e: partitions/s, submit → completed',
        unit: '/s',
        median: e2eRateSubmit,
        baseline: loadedPerSecond,
        baselineLabel: 'in-process dispatcher alone',
        ratio: ratio(e2eRateSubmit, loadedPerSecond),
        goal: { op: '>=', value: 1000 },
        note: `median of ${runs} runs`,
      },
      {
        name: 'dispatch e2e: coordinator process CPU per partition',
        unit: 'µs',
        median: e2eCpuUs,
        baseline: loadedCpuUs,
        baselineLabel: 'in-process dispatcher alone',
        ratio: ratio(e2eCpuUs, loadedCpuUs),
        note: `median of ${runs} runs`,
      },
      {
        name: `dispatch in-process: partition round trip, ${IN_FLIGHT} in flight`,
        unit: 'ms',
        median: loadedP50,
        p99: loadedP99,
        baseline: statusLoadedP50,
        baselineLabel: `bare GetStatus p50, ${IN_FLIGHT} in flight; its p99 ${fmtMs(statusLoadedP99)}`,
        ratio: ratio(loadedP50, statusLoadedP50),
        goal: { op: '<=', value: 2 },
        note: `median over ${rounds} rounds of ${partitions}`,
      },
      {
        name: 'dispatch in-process: partition round trip, one at a time',
        unit: 'ms',
        median: sequentialP50,
        p99: sequentialP99,
        baseline: statusSequentialP50,
        baselineLabel: `bare GetStatus p50, one at a time; its p99 ${fmtMs(statusSequentialP99)}`,
        ratio: ratio(sequentialP50, statusSequentialP50),
        goal: { op: '<=', value: 2 },
        note: `median over ${rounds} rounds of ${sequentialCount}`,
      },
      {
        name: `dispatch in-process: dispatcher CPU per partition (${IN_FLIGHT} in flight)`,
        unit: 'µs',
        median: loadedCpuUs,
        note: `median over ${rounds} rounds; this process: discovery + table + prober + dispatcher + gRPC`,
      },
    ];
    return { headlines, details: { partitions, runs, rounds, agents: AGENTS, quick: isQuick(), endToEnd, inProcess: b } };
  });
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runDispatch));
}
