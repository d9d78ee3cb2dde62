/**
 * The coordinator at 10 / 100 / 1,000 nodes, with simulated agents (bench/lib/sim-node.ts: the agent's
 * own gRPC service, call-proof guard and Consul registration with a TTL check, many per process in a
 * few processes, bench/lib/sim-cluster.ts) against a real coordinator, Redis and Consul (the local
 * cluster, secure mode). For each size:
 *  - idle: the coordinator's CPU (% of one core, from /proc) over QUANTGRID_BENCH_SCALE_IDLE_S (20 s)
 *    with no job, in 5 s windows (the median), and its RSS;
 *  - dispatch: a noop job of 4 partitions per node (2 from 1,000 nodes; at least 200) across the nodes, partitions/s
 *    (3 runs, the median);
 *  - join: with every slot busy and a partition waiting, a new node is started: start → its first
 *    PARTITION_STARTED (3 times, the median);
 *  - failure: that node is crashed while it runs the partition (its connections cut, its TTL check no
 *    longer refreshed): crash → PARTITION_RETRIED; and an idle node is crashed: crash → the
 *    coordinator no longer lists it as ready (ListNodes polled every 100 ms). 3 times each.
 * Goals (issue 13, at 1,000 nodes): idle ≤ 5 % of a core and ≤ 300 MB; a node used ≤ 2 s after it
 * joins; a failure detected ≤ 2 s.
 *
 * Run: node dist/bench/run-all.js scale   (QUANTGRID_BENCH_QUICK=1: 10 and 100 nodes only)
 * QUANTGRID_BENCH_SCALE_SIZES=10,100 overrides the sizes; QUANTGRID_BENCH_SCALE_IDLE_ONLY=1 measures the idle
 * figures only (with QUANTGRID_BENCH_CPU_PROF, a profile of the idle coordinator);
 * QUANTGRID_BENCH_SCALE_SKIP_DISPATCH=1 leaves the dispatch runs out (at 1,000 nodes they can fail, docs/benchmarks.md);
 * QUANTGRID_BENCH_SCALE_MOVING_NOTE=1 puts a reading that changes at every refresh in the TTL notes; QUANTGRID_BENCH_SCALE_COORDINATOR_ARGS adds
 * coordinator flags (space-separated), e.g. to compare --status-interval settings, and
 * QUANTGRID_BENCH_SCALE_COORDINATOR_NODE_OPTIONS Node options for the coordinator alone (NODE_OPTIONS, e.g. a preload);
 * QUANTGRID_BENCH_COORDINATOR_NODE_FLAGS replaces the coordinator's own Node flags (coordinator/config/node-flags.ts;
 * space-separated, 'none' for none), e.g. `none` against the default for an A/B of --max-semi-space-size;
 * QUANTGRID_BENCH_SCALE_MEMORY_PROBE=1 runs the coordinator with lib/memory-probe-preload.ts and, after the
 * idle figures, logs where its memory is (RssAnon, V8 heap used, external, array buffers after a full GC):
 * a diagnostic (it changes what it measures), not a figure of the table; QUANTGRID_BENCH_SCALE_HEAP_SNAPSHOT_DIR=<dir>
 * with it also writes the coordinator's heap snapshot there.
 * QUANTGRID_BENCH_SCALE_LOOP_DELAY=1 runs the coordinator and the simulator hosts with lib/loop-delay-preload.ts and
 * logs, for each dispatch run, each process's worst event-loop delay during it (which one stalls in the burst);
 * QUANTGRID_BENCH_SCALE_DISPATCH_ONLY=1 leaves the join and crash runs out (idle and dispatch only).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { listCoordinatorNodes, type LocalCluster } from '../scripts/local-cluster/index.js';
import { addShutdownHook } from '../scripts/local-cluster/index.js';
import { checkNoopResult, coordinatorNodeFlagsFromEnv, runNoopJob, startBenchCluster } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, sleep, waitFor, type Headline } from './lib/harness.js';
import { readProcCpu, readProcMemory } from './lib/proc.js';
import { loopDelaysIn } from './lib/loop-delay.js';
import { SimCluster } from './lib/sim-cluster.js';
import { fmt, fmtMs, markdownTable, median } from './lib/stats.js';

const BENCH = 'scale';
/** Nodes per host process: at most 4 processes, 25 nodes each at the least (a busy host must still send heartbeats on time). */
const NODES_PER_HOST = 25;
const MAX_HOSTS = 4;
const SLOTS = 1;
/**
 * TTL checks: the agents' defaults (3 s, refreshed every second) up to 100 nodes; up to 300, 15 s
 * refreshed every 5 s; beyond, 30 s refreshed every 10 s. In a deployment each machine's agent
 * refreshes its own local Consul agent; here every node refreshes the one dev agent, which at 1,000
 * refreshes a second stopped answering, and at 150 a second (1,000 nodes every 5 s, load 10) timed
 * refreshes out by thousands. Liveness here does not rest on the TTL (a crash breaks the node's connections).
 */
function ttlCheck(nodes: number): { checkTtlMs: number; refreshMs: number } {
  const [ttl, refresh] = nodes > 300 ? [30_000, 10_000] : nodes > 100 ? [15_000, 5000] : [3000, 1000];
  return {
    checkTtlMs: Number(process.env.QUANTGRID_BENCH_SCALE_CHECK_TTL_MS ?? ttl),
    refreshMs: Number(process.env.QUANTGRID_BENCH_SCALE_REFRESH_MS ?? refresh),
  };
}
const MOVING_NOTE = process.env.QUANTGRID_BENCH_SCALE_MOVING_NOTE === '1';
/** How long the nodes of one SimCluster.add may take to register before the run fails naming them. */
const REGISTER_TIMEOUT_MS = Number(process.env.QUANTGRID_BENCH_SCALE_REGISTER_TIMEOUT_MS ?? 120_000);
const REPEATS = 3;
/**
 * The join test's partition work: every slot must be busy at once, so longer than dispatching a
 * partition to every slot takes (at 1,000 nodes, 4 s was not: the first partitions ended before the last started).
 */
const joinWorkMs = (slots: number) => Math.max(4000, 20 * slots);

function sizes(): number[] {
  const given = process.env.QUANTGRID_BENCH_SCALE_SIZES;
  if (given) return given.split(',').map((s) => Number(s.trim())).filter((n) => Number.isInteger(n) && n > 0);
  return isQuick() ? [10, 100] : [10, 100, 1000];
}

interface SizeResult {
  nodes: number;
  hosts: number;
  /** Start of the nodes → all ready in the coordinator. */
  allReadyMs: number;
  idleCpuPercent: number;
  idleCpuWindows: number[];
  consulIdleCpuPercent: number;
  hostsIdleCpuPercent: number;
  idleRssBytes: number;
  peakRssBytes: number;
  dispatchRates: number[];
  /** The coordinator's CPU time per partition in each dispatch run, µs (steadier than the rate on a loaded machine). */
  dispatchCpuUsPerPartition: number[];
  dispatchPartitions: number;
  joinMs: number[];
  retryDetectMs: number[];
  idleDetectMs: number[];
  loadavg: number[];
}

const percentOfCore = (cpuMs: number, wallMs: number) => (100 * cpuMs) / wallMs;

async function measureIdle(cluster: LocalCluster, sim: SimCluster, seconds: number): Promise<Pick<SizeResult, 'idleCpuPercent' | 'idleCpuWindows' | 'consulIdleCpuPercent' | 'hostsIdleCpuPercent' | 'idleRssBytes'>> {
  const coordinator = cluster.coordinator.process.pid;
  const consul = cluster.consul.process.pid;
  const windows: number[] = [];
  const t0 = performance.now();
  const consul0 = readProcCpu(consul)?.cpuMs ?? Number.NaN;
  const hosts0 = sim.usage().cpuMs;
  for (let elapsed = 0; elapsed < seconds; elapsed += 5) {
    const before = readProcCpu(coordinator)?.cpuMs ?? Number.NaN;
    const w0 = performance.now();
    await sleep(5000);
    windows.push(percentOfCore((readProcCpu(coordinator)?.cpuMs ?? Number.NaN) - before, performance.now() - w0));
  }
  const wall = performance.now() - t0;
  return {
    idleCpuPercent: median(windows),
    idleCpuWindows: windows,
    consulIdleCpuPercent: percentOfCore((readProcCpu(consul)?.cpuMs ?? Number.NaN) - consul0, wall),
    hostsIdleCpuPercent: percentOfCore(sim.usage().cpuMs - hosts0, wall),
    idleRssBytes: readProcMemory(coordinator)?.rssBytes ?? Number.NaN,
  };
}

const MEMORY_PROBE = process.env.QUANTGRID_BENCH_SCALE_MEMORY_PROBE === '1';
const LOOP_DELAY = process.env.QUANTGRID_BENCH_SCALE_LOOP_DELAY === '1';
const DISPATCH_ONLY = process.env.QUANTGRID_BENCH_SCALE_DISPATCH_ONLY === '1';
const LOOP_DELAY_PRELOAD = `--import=${new URL('./lib/loop-delay-preload.js', import.meta.url).href}`;

/** The loop-delay preload's environment (QUANTGRID_BENCH_SCALE_LOOP_DELAY=1) on top of the given NODE_OPTIONS; nothing without it. */
function loopDelayEnv(dir: string, nodeOptions: string): NodeJS.ProcessEnv {
  if (!dir) return nodeOptions ? { NODE_OPTIONS: nodeOptions } : {};
  return { NODE_OPTIONS: `${nodeOptions} ${LOOP_DELAY_PRELOAD}`.trim(), QUANTGRID_BENCH_LOOP_DELAY_DIR: dir };
}

/** The coordinator's environment: QUANTGRID_BENCH_SCALE_COORDINATOR_NODE_OPTIONS, the memory probe's preload (answering SIGUSR2), the loop-delay one. */
function coordinatorEnv(file: string, loopDelayDir: string): NodeJS.ProcessEnv {
  const given = process.env.QUANTGRID_BENCH_SCALE_COORDINATOR_NODE_OPTIONS ?? '';
  if (!MEMORY_PROBE) return loopDelayEnv(loopDelayDir, given);
  const withProbe = `${given} --import=${new URL('./lib/memory-probe-preload.js', import.meta.url).href}`.trim();
  return { ...loopDelayEnv(loopDelayDir, withProbe), QUANTGRID_BENCH_MEMORY_PROBE_FILE: file, QUANTGRID_BENCH_MEMORY_PROBE_SNAPSHOT_DIR: process.env.QUANTGRID_BENCH_SCALE_HEAP_SNAPSHOT_DIR };
}

/** Asks the coordinator for its memory after a full GC (memory-probe-preload.ts) and logs it with its /proc figures. */
async function logMemoryProbe(cluster: LocalCluster, nodes: number, file: string): Promise<void> {
  const pid = cluster.coordinator.process.pid;
  process.kill(pid, 'SIGUSR2');
  await waitFor(() => { try { return readFileSync(file, 'utf8').trim() !== ''; } catch { return false; } }, 60_000, 'the memory probe');
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  const { after, spaces } = JSON.parse(lines[lines.length - 1]) as { after: NodeJS.MemoryUsage; spaces: Record<string, { size: number; used: number }> };
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  const mib = (bytes: number) => fmt(bytes / 2 ** 20);
  logProgress(BENCH, `${nodes} nodes memory after a full GC: VmRSS ${fmt(kib('VmRSS'))} MiB (RssAnon ${fmt(kib('RssAnon'))}, RssFile ${fmt(kib('RssFile'))}); V8 heap used ${mib(after.heapUsed)} of ${mib(after.heapTotal)} MiB, external ${mib(after.external)} MiB (array buffers ${mib(after.arrayBuffers)}); V8 spaces (MiB used/committed): ${Object.entries(spaces).filter(([, s]) => s.size >= 0.5).map(([name, s]) => `${name} ${fmt(s.used)}/${fmt(s.size)}`).join(', ')}`);
}

async function busySlots(cluster: LocalCluster): Promise<number> {
  const nodes = await listCoordinatorNodes(cluster.coordinator.address, 10_000, cluster.coordinator.adminToken);
  return nodes.reduce((sum, node) => sum + node.busySlots, 0);
}

/**
 * With every slot busy and one partition waiting, a node joins: start → its first partition; then it
 * crashes running it: crash → PARTITION_RETRIED.
 */
async function joinAndCrash(cluster: LocalCluster, sim: SimCluster, connection: CoordinatorConnection, slots: number, newId: string): Promise<{ joinMs: number; retryMs: number }> {
  const partitions = slots + 1;
  const { jobId } = await connection.submitJob({ spec: { noop: { partitions, workMs: joinWorkMs(slots) } }, noCache: true });
  let startedAt = Number.NaN;
  let retriedAt = Number.NaN;
  const abort = new AbortController();
  const watch = watchToEnd(connection, jobId, {
    timeoutMs: 120_000,
    signal: abort.signal,
    keep: () => false,
    onEvent: (event) => {
      if (event.nodeId !== newId) return;
      if (event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && Number.isNaN(startedAt)) startedAt = event.timeMs;
      if (event.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED' && Number.isNaN(retriedAt)) retriedAt = event.timeMs;
    },
  });
  try {
    await waitFor(async () => (await busySlots(cluster)) >= slots, 60_000, 'every slot busy', 200);
    const joinedAt = Date.now();
    await sim.add([newId]);
    await waitFor(() => !Number.isNaN(startedAt), 30_000, `a partition on the new node ${newId}`, 10);
    const crashedAt = await sim.crash(newId);
    await waitFor(() => !Number.isNaN(retriedAt), 30_000, `the partition on the crashed node ${newId} retried`, 10);
    const { job } = await watch;
    checkNoopResult(job, partitions);
    return { joinMs: startedAt - joinedAt, retryMs: retriedAt - crashedAt };
  } catch (error) {
    abort.abort();
    await watch.catch(() => undefined);
    throw error;
  }
}

/** An idle node crashes: crash → the coordinator no longer lists it as ready. */
async function idleCrash(cluster: LocalCluster, sim: SimCluster, id: string): Promise<number> {
  const crashedAt = await sim.crash(id);
  for (;;) {
    const nodes = await listCoordinatorNodes(cluster.coordinator.address, 10_000, cluster.coordinator.adminToken);
    const node = nodes.find((n) => n.id === id);
    if (!node || node.state !== 'ready') return Date.now() - crashedAt;
    if (Date.now() - crashedAt > 60_000) throw new Error(`node ${id} still ready 60 s after its crash`);
    await sleep(100);
  }
}

async function runSize(nodes: number, coordinatorArgs: string[]): Promise<SizeResult> {
  const probeDir = MEMORY_PROBE ? mkdtempSync(join(tmpdir(), 'quantgrid-scale-probe-')) : '';
  const probeFile = join(probeDir, 'probe.jsonl');
  const loopDelayDir = LOOP_DELAY ? mkdtempSync(join(tmpdir(), 'quantgrid-scale-loop-')) : '';
  const cluster = await startBenchCluster([], coordinatorEnv(probeFile, loopDelayDir), 'secure', coordinatorArgs, coordinatorNodeFlagsFromEnv());
  const hosts = Math.min(MAX_HOSTS, Math.ceil(nodes / NODES_PER_HOST));
  const idleOnly = process.env.QUANTGRID_BENCH_SCALE_IDLE_ONLY === '1';
  let sim: SimCluster | undefined;
  const removeHook = addShutdownHook(async () => {
    await sim?.stop();
    await cluster.stop();
  });
  try {
    sim = await SimCluster.start(hosts, {
      consulUrl: cluster.consul.httpAddress,
      clusterSecretFile: cluster.clusterSecretFile,
      slots: SLOTS,
      workScale: 1,
      ...ttlCheck(nodes),
      movingNote: MOVING_NOTE,
      registerTimeoutMs: REGISTER_TIMEOUT_MS,
    }, { ...process.env, ...loopDelayEnv(loopDelayDir, process.env.NODE_OPTIONS ?? '') });
    const ids = Array.from({ length: nodes }, (_, i) => `sim-${String(i).padStart(4, '0')}`);
    const t0 = performance.now();
    await sim.add(ids);
    logProgress(BENCH, `${nodes} nodes registered in Consul in ${fmtMs(performance.now() - t0)}`);
    await cluster.waitForNodes({ nodeIds: ids, accept: (node) => node.state === 'ready', timeoutMs: 600_000 });
    const allReadyMs = performance.now() - t0;
    logProgress(BENCH, `${nodes} nodes in ${hosts} processes ready in ${fmtMs(allReadyMs)}`);

    await sleep(3000);
    const idleSeconds = Number(process.env.QUANTGRID_BENCH_SCALE_IDLE_S ?? 20);
    const idle = await measureIdle(cluster, sim, idleSeconds);
    if (MEMORY_PROBE) await logMemoryProbe(cluster, nodes, probeFile);
    logProgress(BENCH, `${nodes} nodes idle: coordinator ${fmt(idle.idleCpuPercent)} % of a core (windows ${idle.idleCpuWindows.map((w) => fmt(w)).join(', ')}), RSS ${fmt(idle.idleRssBytes / 2 ** 20)} MiB; Consul ${fmt(idle.consulIdleCpuPercent)} %, node hosts ${fmt(idle.hostsIdleCpuPercent)} %`);

    const dispatchPartitions = Math.max(200, (nodes >= 1000 ? 2 : 4) * nodes * SLOTS);
    const dispatchRates: number[] = [];
    const dispatchCpuUsPerPartition: number[] = [];
    if (idleOnly) return { nodes, hosts, allReadyMs, ...idle, peakRssBytes: Number.NaN, dispatchRates, dispatchCpuUsPerPartition, dispatchPartitions, joinMs: [], retryDetectMs: [], idleDetectMs: [], loadavg: loadavg() };
    // QUANTGRID_BENCH_SCALE_SKIP_DISPATCH=1: no dispatch runs (join and crash are still measured).
    for (let i = 0; i < (process.env.QUANTGRID_BENCH_SCALE_SKIP_DISPATCH === '1' ? 0 : REPEATS); i++) {
      const cpu0 = readProcCpu(cluster.coordinator.process.pid)?.cpuMs ?? Number.NaN;
      const from = Date.now();
      try {
        dispatchRates.push((await runNoopJob(cluster, dispatchPartitions)).rate);
      } finally {
        if (loopDelayDir) {
          const to = Date.now();
          await sleep(2000); // the preload writes once a second: the window's last lines
          const delays = loopDelaysIn(loopDelayDir, from, to).map((d) => `${d.process} max ${fmtMs(d.maxMs)} (p99 median ${fmtMs(d.p99MedianMs)})`);
          logProgress(BENCH, `${nodes} nodes dispatch run ${i + 1}, ${fmtMs(to - from)}, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}: event-loop delay ${delays.join('; ')}`);
        }
      }
      dispatchCpuUsPerPartition.push((((readProcCpu(cluster.coordinator.process.pid)?.cpuMs ?? Number.NaN) - cpu0) * 1000) / dispatchPartitions);
    }
    logProgress(BENCH, `${nodes} nodes dispatch: ${dispatchRates.map((r) => fmt(r)).join(', ')} partitions/s; coordinator CPU ${dispatchCpuUsPerPartition.map((c) => fmt(c)).join(', ')} µs per partition`);

    if (DISPATCH_ONLY) return { nodes, hosts, allReadyMs, ...idle, peakRssBytes: readProcMemory(cluster.coordinator.process.pid)?.peakRssBytes ?? Number.NaN, dispatchRates, dispatchCpuUsPerPartition, dispatchPartitions, joinMs: [], retryDetectMs: [], idleDetectMs: [], loadavg: loadavg() };
    const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken || undefined });
    const joinMs: number[] = [];
    const retryDetectMs: number[] = [];
    try {
      for (let i = 0; i < REPEATS; i++) {
        const run = await joinAndCrash(cluster, sim, connection, nodes * SLOTS, `sim-join-${i}`);
        joinMs.push(run.joinMs);
        retryDetectMs.push(run.retryMs);
      }
    } finally {
      connection.close();
    }
    logProgress(BENCH, `${nodes} nodes join → used: ${joinMs.map(fmtMs).join(', ')}; crash running → retried: ${retryDetectMs.map(fmtMs).join(', ')}`);

    const idleDetectMs: number[] = [];
    for (let i = 0; i < REPEATS; i++) {
      idleDetectMs.push(await idleCrash(cluster, sim, ids[(i * 7919) % ids.length]));
      await sleep(500);
    }
    logProgress(BENCH, `${nodes} nodes idle crash → not ready: ${idleDetectMs.map(fmtMs).join(', ')}`);

    const peakRssBytes = readProcMemory(cluster.coordinator.process.pid)?.peakRssBytes ?? Number.NaN;
    return { nodes, hosts, allReadyMs, ...idle, peakRssBytes, dispatchRates, dispatchCpuUsPerPartition, dispatchPartitions, joinMs, retryDetectMs, idleDetectMs, loadavg: loadavg() };
  } finally {
    removeHook();
    await sim?.stop();
    await cluster.stop();
    if (probeDir) rmSync(probeDir, { recursive: true, force: true });
    if (loopDelayDir) rmSync(loopDelayDir, { recursive: true, force: true });
  }
}

async function runScale(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const coordinatorArgs = (process.env.QUANTGRID_BENCH_SCALE_COORDINATOR_ARGS ?? '').split(' ').filter((a) => a !== '');
  const results: SizeResult[] = [];
  for (const nodes of sizes()) {
    logProgress(BENCH, `== ${nodes} simulated nodes (load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    results.push(await runSize(nodes, coordinatorArgs));
  }
  const rows = results.map((r) => [
    String(r.nodes),
    `${fmt(r.idleCpuPercent)} %`,
    `${fmt(r.idleRssBytes / 2 ** 20)} MiB (peak ${fmt(r.peakRssBytes / 2 ** 20)})`,
    `${fmt(median(r.dispatchRates))}/s`,
    fmtMs(median(r.joinMs)),
    fmtMs(median(r.retryDetectMs)),
    fmtMs(median(r.idleDetectMs)),
    `${fmt(r.consulIdleCpuPercent)} % / ${fmt(r.hostsIdleCpuPercent)} %`,
    r.loadavg.map((l) => l.toFixed(1)).join(' '),
  ]);
  process.stderr.write(
    `\n${markdownTable(['nodes', 'coordinator idle CPU', 'coordinator RSS idle', 'dispatch', 'join → used', 'crash (running) → retried', 'crash (idle) → not ready', 'Consul / node hosts idle CPU', 'load after'], rows)}\n`,
  );
  const headlines: Headline[] = [];
  // A figure not measured (QUANTGRID_BENCH_SCALE_IDLE_ONLY, or every attempt failed) is left out, not reported as a goal met.
  const measured = (h: Headline): boolean => Number.isFinite(h.median);
  for (const r of results) {
    const atGoal = r.nodes >= 1000;
    const note = `${r.nodes} nodes in ${r.hosts} processes; load ${r.loadavg.map((l) => l.toFixed(1)).join(' ')}`;
    headlines.push(...([
      { name: `scale ${r.nodes} nodes: coordinator idle CPU (% of a core)`, unit: '%', median: r.idleCpuPercent, ...(atGoal ? { goal: { op: '<=' as const, value: 5 } } : {}), note: `median of ${r.idleCpuWindows.length} × 5 s; ${note}` },
      { name: `scale ${r.nodes} nodes: coordinator RSS idle`, unit: 'MB', median: r.idleRssBytes / 1e6, ...(atGoal ? { goal: { op: '<=' as const, value: 300 } } : {}), note },
      { name: `scale ${r.nodes} nodes: dispatch (noop ${r.dispatchPartitions} partitions)`, unit: '/s', median: median(r.dispatchRates), note: `median of ${r.dispatchRates.length}` },
      { name: `scale ${r.nodes} nodes: coordinator CPU per dispatched partition`, unit: 'µs', median: median(r.dispatchCpuUsPerPartition), note: `median of ${r.dispatchCpuUsPerPartition.length}; whole job (submission to result)` },
      { name: `scale ${r.nodes} nodes: node joins → gets a partition`, unit: 'ms', median: median(r.joinMs), goal: { op: '<=', value: 2000 }, note: `median of ${r.joinMs.length}` },
      { name: `scale ${r.nodes} nodes: node crashes running → partition retried`, unit: 'ms', median: median(r.retryDetectMs), goal: { op: '<=', value: 2000 }, note: `median of ${r.retryDetectMs.length}` },
      { name: `scale ${r.nodes} nodes: idle node crashes → not counted ready`, unit: 'ms', median: median(r.idleDetectMs), goal: { op: '<=', value: 2000 }, note: `median of ${r.idleDetectMs.length}; ListNodes polled every 100 ms` },
    ] as Headline[]).filter(measured));
  }
  return { headlines, details: { coordinatorNodeFlags: coordinatorNodeFlagsFromEnv() ?? 'default', slots: SLOTS, ttlChecks: sizes().map((n) => ({ nodes: n, ...ttlCheck(n) })), movingNote: MOVING_NOTE, coordinatorArgs, results } };
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runScale));
}
