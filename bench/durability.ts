/**
 * Durability and control (issue #4): how long a job stands still when its coordinator dies, and
 * how fast a cancel frees the cluster. A local cluster of 2 agents × 2 slots.
 *
 * (a) Coordinator SIGKILL mid-job → the job progressing again. A noop job (200 partitions × 50 ms)
 *     is submitted to the one live coordinator and watched there; once a quarter of it is done the
 *     coordinator is SIGKILLed and a replacement started at once (cluster.addCoordinator) on the same
 *     Redis and Consul. The job is then watched on the replacement (WatchJob resumed after the last
 *     event seen) to its end, and its result checked (checksum: every partition exactly once).
 *     Per run: (i) replacement start → its ready line; (ii) kill → the first partition finished by
 *     the replacement (the job progressing again, the headline); (iii) ready → progressing again;
 *     also kill → taken over (the replacement's STARTED event) and partitions recovered (results
 *     recorded before the kill, not recomputed). The replacement is the next run's victim.
 *     Two lock settings, 3 runs each:
 *      - default (--job-lock 10s --stalled-interval 5s, what users get);
 *      - short (--job-lock 2s --stalled-interval 1s), to show the lever.
 *     Why it takes seconds: the dead coordinator's job stays "active" in BullMQ under its lock, a
 *     Redis key with a TTL of --job-lock that a live coordinator renews about every quarter of it
 *     (BullMQ's renewal timer), so the lock lapses between 3/4 of --job-lock and all of it after the
 *     kill (here the job is killed ≈ 0.6 s in, before its first renewal: ≈ lock − 0.6 s; the bench
 *     reads the key's TTL right after the kill). BullMQ's stalled-job check marks the active jobs,
 *     and a later check moves a marked job whose lock has lapsed back to the wait list, where the
 *     replacement's worker takes it at once. Checks are rate-limited across all coordinators by a
 *     Redis key with a TTL of --stalled-interval: the replacement's first check (when its worker
 *     starts) is skipped if the victim checked less than an interval before, and a lone
 *     coordinator's next check, due one interval after its last, sometimes runs a hair before that
 *     key expires and is skipped as well (seen with a Redis poller: checks 5 s or 10 s apart). So the
 *     takeover comes with the first check that runs after the lapse: usually within lock + one
 *     stalled interval of the kill, at worst about lock + 2 × stalled interval (default ≤ 20 s,
 *     short ≤ 4 s, as long as the replacement is up by then). Starting the replacement (1–3 s of
 *     Node start-up here) overlaps that wait. Dispatching is not what waits: the first partition
 *     finishes ≈ 100 ms after the takeover.
 *
 * (b) Cancel latency. A noop job of 8 partitions that busy-loop for 60 s fills all 4 slots; then
 *     CancelJob. Measured from just before the request: every agent reporting busySlots 0 (GetStatus
 *     to each agent every ~10 ms over one channel per agent), and the job's CANCELLED event arriving
 *     on a watch opened before the request. 5 runs.
 *
 * (c) Overhead of durable tracking (each partition's result recorded in a Redis hash, each job
 *     event appended to a Redis stream that WatchJob reads), not part of the run-all benchmark
 *     because it needs the code from before issue #4: an A/B of dispatch.js's end-to-end figure
 *     (20,000 no-op partitions, 2 agents × 8 slots) between a build of the old commit and this
 *     tree, alternated in one session so the machine's noise hits both (the build column shows when
 *     each version was compiled; a warning is printed if a build changed between rounds):
 *
 *       git -C /work/main worktree add /tmp/qg-baseline 8848aab     # before the issue #4 work
 *       ln -s /work/main/node_modules /tmp/qg-baseline/node_modules
 *       bash /tmp/qg-baseline/scripts/build.sh
 *       node dist/bench/durability.js --ab /tmp/qg-baseline [--ab-rounds 3]
 *       git -C /work/main worktree remove --force /tmp/qg-baseline
 *
 *     --ab runs <baseline>/dist/bench/dispatch.js and this tree's dist/bench/dispatch.js alternately
 *     (baseline, current, baseline, current, …; --ab-rounds of each, default 3), each a fresh process
 *     with its own cluster, and prints partitions/s (median of each process's 3 runs and over every
 *     run), coordinator and Redis CPU per partition, and the in-process dispatcher rate (code the
 *     two versions share: a control for the machine's drift). Nothing else is measured in that mode.
 *
 * Run: node dist/bench/durability.js   (QUANTGRID_BENCH_QUICK=1: 20 partitions in (a))
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { parseCoordinatorConfig } from '../coordinator/config/coordinator-config.js';
import { DEFAULT_JOB_LOCKING } from '../coordinator/jobs/job-worker.js';
import { JOB_QUEUE_NAME } from '../coordinator/jobs/job-store.js';
import { listCoordinatorNodes, spawnManaged, type ClusterCoordinator, type LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchJob } from '../shared/client/job-watcher.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import type { JobEvent__Output } from '../shared/generated/quantgrid/v1/JobEvent.js';
import { createNodeAgentClient, type NodeAgentClient } from '../shared/grpc/clients.js';
import { checkNoopResult, withCluster } from './lib/cluster.js';
import { isMain, isQuick, logProgress, measureBench, runBench, size, sleep, waitFor, type BenchResult, type Headline } from './lib/harness.js';
import { fmt, fmtMs, fmtRatio, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'durability';
const AGENTS = [{ slots: 2 }, { slots: 2 }];
const TOTAL_SLOTS = AGENTS.reduce((sum, a) => sum + a.slots, 0);
const SHORT_LOCKS = ['--job-lock', '2s', '--stalled-interval', '1s'];

// ---------------------------------------------------------------- (a) coordinator takeover

type LockScenario = 'default' | 'short';

interface LockSetting {
  scenario: LockScenario;
  label: string;
  args: string[];
}

const LOCK_SETTINGS: LockSetting[] = [
  {
    scenario: 'default',
    label: `default locks (--job-lock ${DEFAULT_JOB_LOCKING.lockMs / 1000}s --stalled-interval ${DEFAULT_JOB_LOCKING.stalledIntervalMs / 1000}s)`,
    args: [],
  },
  { scenario: 'short', label: 'short locks (--job-lock 2s --stalled-interval 1s)', args: SHORT_LOCKS },
];

interface TakeoverRun {
  scenario: LockScenario;
  run: number;
  partitions: number;
  workMs: number;
  /** partitionsDone in the last event seen from the victim before the kill. */
  doneAtKill: number;
  /** (i) replacement spawned → its ready line. */
  startToReadyMs: number;
  /** kill → replacement spawned (the bench starts it at once). */
  killToSpawnMs: number;
  /** kill → the dead coordinator's BullMQ lock on the job expired (its key's TTL read right after the kill). */
  killToLockLapseMs: number;
  /** kill → the replacement's STARTED event for the job (BullMQ handed it the job). */
  killToTakeoverMs: number;
  /** kill → the first PARTITION_STARTED from the replacement. */
  killToFirstStartMs: number;
  /** (ii) kill → the first PARTITION_FINISHED from the replacement: the job progressing again. */
  killToProgressMs: number;
  /** (iii) replacement ready → progressing again. */
  readyToProgressMs: number;
  /** kill → COMPLETED. */
  killToCompletedMs: number;
  partitionsRecovered: number;
  retries: number;
  resultChecked: boolean;
}

/** Polls the coordinator at address until it lists `count` ready nodes. */
async function waitForReadyNodes(coordinator: { address: string; adminToken: string }, count: number, timeoutMs = 60_000): Promise<void> {
  const { address } = coordinator;
  await waitFor(
    async () => {
      const nodes = await listCoordinatorNodes(address, 5000, coordinator.adminToken).catch(() => []);
      return nodes.filter((node) => node.state === 'ready').length >= count;
    },
    timeoutMs,
    `${count} ready nodes at the coordinator ${address}`,
    100,
  );
}

/**
 * One takeover: submits to victim (the only live coordinator), SIGKILLs it once a quarter of the
 * job is done, starts a replacement with args and follows the job there to its end.
 */
async function takeoverRun(
  cluster: LocalCluster,
  redis: Redis,
  victim: ClusterCoordinator,
  setting: LockSetting,
  run: number,
  partitions: number,
  workMs: number,
  prefix: string,
): Promise<{ result: TakeoverRun; replacement: ClusterCoordinator }> {
  const killAfter = Math.ceil(partitions / 4);
  const first = new CoordinatorConnection({ address: victim.address, token: victim.adminToken });
  let killedAt = 0;
  let doneAtKill = 0;
  let lastEventId = '';
  let jobId = '';
  try {
    ({ jobId } = await first.submitJob({ name: `bench-durability-${setting.scenario}-${run}`, spec: { noop: { partitions, workMs } } }));
    // Watch until killAfter partitions are done, then kill the victim and stop watching (before its stream breaks).
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(), 60_000);
    const outcome = await watchJob(first, jobId, {
      event: (event) => {
        if (killedAt) return;
        if (event.eventId) lastEventId = event.eventId;
        const done = event.progress?.partitionsDone ?? 0;
        if (done >= killAfter && event.type !== 'JOB_EVENT_TYPE_COMPLETED') {
          killedAt = Date.now();
          doneAtKill = done;
          victim.process.kill('SIGKILL');
          stop.abort();
        }
      },
      notice: () => undefined,
    }, { signal: stop.signal }).finally(() => clearTimeout(timer));
    if (outcome.outcome === 'finished') throw new Error(`job ${jobId} ended ${outcome.status} before the kill`);
    if (!killedAt) throw new Error(`job ${jobId}: ${killAfter} partitions not done within 60 s`);
  } finally {
    first.close();
  }

  // BullMQ's lock key for the job: {prefix}:{queue}:{job id}:lock, with a TTL of the victim's --job-lock.
  const lockAskedAt = Date.now();
  const lockTtl = redis.pttl(`${prefix}:${JOB_QUEUE_NAME}:${jobId}:lock`);
  const spawnAt = Date.now();
  const replacement = await cluster.addCoordinator(setting.args);
  const readyAt = Date.now();
  await victim.process.exited;
  const lockTtlMs = await lockTtl;
  if (lockTtlMs < 0) throw new Error(`job ${jobId}: no BullMQ lock right after the kill (PTTL ${lockTtlMs})`);

  const second = new CoordinatorConnection({ address: replacement.address, token: replacement.adminToken });
  try {
    // Resumes after the last event seen on the victim: nothing the replacement publishes is missed.
    const { events, job } = await watchToEnd(second, jobId, { timeoutMs: 5 * 60_000, afterEventId: lastEventId });
    checkNoopResult(job, partitions);
    const after = events.filter((event) => event.timeMs > killedAt);
    const firstOf = (type: JobEvent__Output['type']): number => {
      const event = after.find((e) => e.type === type);
      if (!event) throw new Error(`job ${jobId}: no ${type} event from the replacement`);
      return event.timeMs;
    };
    const takeoverAt = firstOf('JOB_EVENT_TYPE_STARTED');
    const firstStartAt = firstOf('JOB_EVENT_TYPE_PARTITION_STARTED');
    const progressAt = firstOf('JOB_EVENT_TYPE_PARTITION_FINISHED');
    const completedAt = after.find((e) => e.type === 'JOB_EVENT_TYPE_COMPLETED')?.timeMs ?? job.finishedAtMs;
    return {
      replacement,
      result: {
        scenario: setting.scenario,
        run,
        partitions,
        workMs,
        doneAtKill,
        startToReadyMs: readyAt - spawnAt,
        killToSpawnMs: spawnAt - killedAt,
        killToLockLapseMs: lockAskedAt - killedAt + lockTtlMs,
        killToTakeoverMs: takeoverAt - killedAt,
        killToFirstStartMs: firstStartAt - killedAt,
        killToProgressMs: progressAt - killedAt,
        readyToProgressMs: progressAt - readyAt,
        killToCompletedMs: completedAt - killedAt,
        partitionsRecovered: job.progress?.partitionsRecovered ?? 0,
        retries: job.progress?.retries ?? 0,
        resultChecked: true,
      },
    };
  } finally {
    second.close();
  }
}

function printTakeover(runs: TakeoverRun[]): void {
  process.stdout.write(`\n### durability (a): coordinator SIGKILL at 25 % → job progressing again, noop ${runs[0].partitions} × ${runs[0].workMs} ms, 2 agents × 2 slots\n\n`);
  process.stdout.write(
    markdownTable(
      ['locks', 'run', 'done at kill', 'replacement start → ready', 'kill → lock lapsed', 'kill → taken over', 'kill → first partition started', 'kill → progressing (first finished)', 'ready → progressing', 'kill → completed', 'recovered', 'result'],
      runs.map((r) => [
        r.scenario,
        String(r.run),
        `${r.doneAtKill}/${r.partitions}`,
        fmtMs(r.startToReadyMs),
        fmtMs(r.killToLockLapseMs),
        fmtMs(r.killToTakeoverMs),
        fmtMs(r.killToFirstStartMs),
        fmtMs(r.killToProgressMs),
        fmtMs(r.readyToProgressMs),
        fmtMs(r.killToCompletedMs),
        String(r.partitionsRecovered),
        r.resultChecked ? 'checksum ok' : '–',
      ]),
    ) + '\n',
  );
}

/** The takeover runs, and the one coordinator left running (the last replacement). */
async function runTakeovers(cluster: LocalCluster, runCount: number): Promise<{ runs: TakeoverRun[]; live: ClusterCoordinator }> {
  const partitions = size(200, 20);
  const workMs = 50;
  const runs: TakeoverRun[] = [];
  // The cluster's first coordinator runs with the default settings; one coordinator lives at a time
  // (any live coordinator's worker may take a submitted job).
  let live: ClusterCoordinator = cluster.coordinator;
  let liveScenario: LockScenario = 'default';
  const { queuePrefix } = parseCoordinatorConfig(['node', 'bench', '--consul', cluster.consul.httpAddress, '--redis', cluster.redis.url]);
  const redis = new Redis(cluster.redis.url, { maxRetriesPerRequest: 1 });
  try {
    for (const setting of LOCK_SETTINGS) {
      if (liveScenario !== setting.scenario) {
        // The victim must hold its lock with this scenario's settings: swap the live coordinator.
        const next = await cluster.addCoordinator(setting.args);
        await live.process.stop(10_000);
        live = next;
        liveScenario = setting.scenario;
      }
      for (let run = 1; run <= runCount; run++) {
        await waitForReadyNodes(live, AGENTS.length);
        await sleep(300);
        logProgress(BENCH, `(a) ${setting.scenario} locks, run ${run}/${runCount}: ${partitions} × ${workMs} ms, SIGKILL at 25 %`);
        const { result, replacement } = await takeoverRun(cluster, redis, live, setting, run, partitions, workMs, queuePrefix);
        logProgress(
          BENCH,
          `(a) ${setting.scenario} run ${run}: ready after ${fmtMs(result.startToReadyMs)}; lock lapsed ${fmtMs(result.killToLockLapseMs)}, taken over ${fmtMs(result.killToTakeoverMs)} and progressing ${fmtMs(result.killToProgressMs)} after the kill ` +
            `(${fmtMs(result.readyToProgressMs)} after ready); ${result.partitionsRecovered} recovered (${result.doneAtKill} seen done)`,
        );
        runs.push(result);
        live = replacement;
      }
    }
  } finally {
    redis.disconnect();
  }
  return { runs, live };
}

// ---------------------------------------------------------------- (b) cancel latency

interface CancelRun {
  run: number;
  /** request → every agent reports busySlots 0. */
  slotsFreeMs: number;
  /** request → each agent's first busySlots 0, by node id. */
  perAgentFreeMs: Record<string, number>;
  /** request → CancelJob answered. */
  requestReturnedMs: number;
  /** request → the CANCELLED event received by a watcher. */
  cancelledEventMs: number;
  /** GetStatus rounds while waiting, and the longest gap between two of them. */
  polls: number;
  maxPollGapMs: number;
}

function getStatus(client: NodeAgentClient): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    client.getStatus({}, { deadline: Date.now() + 3000 }, (error, status) => (error || !status ? reject(error ?? new Error('no status')) : resolvePromise(status.busySlots)));
  });
}

async function cancelRun(connection: CoordinatorConnection, agents: Array<{ nodeId: string; client: NodeAgentClient }>, run: number, workMs: number): Promise<CancelRun> {
  const { jobId } = await connection.submitJob({ name: `bench-durability-cancel-${run}`, spec: { noop: { partitions: 2 * TOTAL_SLOTS, workMs } } });
  await waitFor(async () => (await Promise.all(agents.map((a) => getStatus(a.client)))).reduce((s, n) => s + n, 0) === TOTAL_SLOTS, 30_000, `all ${TOTAL_SLOTS} slots busy`, 20);
  let cancelledEventAt = 0;
  const watching = watchToEnd(connection, jobId, {
    timeoutMs: 60_000,
    onEvent: (event) => {
      if (event.type === 'JOB_EVENT_TYPE_CANCELLED' && !cancelledEventAt) cancelledEventAt = performance.now();
    },
  });
  // Let the watch subscribe (its first event, a snapshot, is sent at once).
  await sleep(200);

  const requestedAt = performance.now();
  let requestReturnedAt = 0;
  const request = connection.cancelJob(jobId).then(() => (requestReturnedAt = performance.now()));
  const perAgentFreeMs: Record<string, number> = {};
  let polls = 0;
  let maxPollGapMs = 0;
  let lastPoll = requestedAt;
  let slotsFreeMs = Number.NaN;
  for (;;) {
    const busy = await Promise.all(agents.map((a) => getStatus(a.client)));
    const now = performance.now();
    polls++;
    maxPollGapMs = Math.max(maxPollGapMs, now - lastPoll);
    lastPoll = now;
    busy.forEach((n, i) => {
      if (n === 0 && perAgentFreeMs[agents[i].nodeId] === undefined) perAgentFreeMs[agents[i].nodeId] = now - requestedAt;
    });
    if (busy.every((n) => n === 0)) {
      slotsFreeMs = now - requestedAt;
      break;
    }
    if (now - requestedAt > 30_000) throw new Error(`job ${jobId}: slots still busy 30 s after the cancel (${busy.join(', ')})`);
    await sleep(10);
  }
  await request;
  const { job } = await watching;
  if (job.status !== 'JOB_STATUS_CANCELLED') throw new Error(`job ${jobId} ended ${job.status} after the cancel`);
  if (!cancelledEventAt) throw new Error(`job ${jobId}: no CANCELLED event`);
  return {
    run,
    slotsFreeMs,
    perAgentFreeMs,
    requestReturnedMs: requestReturnedAt - requestedAt,
    cancelledEventMs: cancelledEventAt - requestedAt,
    polls,
    maxPollGapMs,
  };
}

async function runCancels(cluster: LocalCluster, address: string, runCount: number): Promise<CancelRun[]> {
  const workMs = 60_000;
  await waitForReadyNodes({ address, adminToken: cluster.coordinator.adminToken }, AGENTS.length);
  const secret = await cluster.clusterSecret();
  const agents = cluster.agents.map((agent) => ({ nodeId: agent.nodeId, client: createNodeAgentClient(agent.address, {}, {}, secret) }));
  const connection = new CoordinatorConnection({ address, token: cluster.coordinator.adminToken });
  const runs: CancelRun[] = [];
  try {
    for (let run = 1; run <= runCount; run++) {
      logProgress(BENCH, `(b) cancel run ${run}/${runCount}: ${2 * TOTAL_SLOTS} × ${workMs / 1000} s partitions`);
      const r = await cancelRun(connection, agents, run, workMs);
      logProgress(BENCH, `(b) run ${run}: every slot free ${fmtMs(r.slotsFreeMs)} after the request, CANCELLED event after ${fmtMs(r.cancelledEventMs)} (${r.polls} polls)`);
      runs.push(r);
      await sleep(500);
    }
  } finally {
    connection.close();
    for (const agent of agents) agent.client.close();
  }
  return runs;
}

function printCancels(runs: CancelRun[]): void {
  const nodes = Object.keys(runs[0].perAgentFreeMs);
  process.stdout.write(`\n### durability (b): CancelJob with all ${TOTAL_SLOTS} slots busy (noop partitions busy-looping 60 s)\n\n`);
  process.stdout.write(
    markdownTable(
      ['run', 'request → every slot free', ...nodes.map((n) => `${n} free`), 'request answered', 'request → CANCELLED event', 'polls (longest gap)'],
      runs.map((r) => [
        String(r.run),
        fmtMs(r.slotsFreeMs),
        ...nodes.map((n) => fmtMs(r.perAgentFreeMs[n])),
        fmtMs(r.requestReturnedMs),
        fmtMs(r.cancelledEventMs),
        `${r.polls} (${fmtMs(r.maxPollGapMs)})`,
      ]),
    ) + '\n',
  );
}

// ---------------------------------------------------------------- the benchmark

function range(values: number[]): string {
  return `${fmtMs(Math.min(...values))}–${fmtMs(Math.max(...values))}`;
}

export async function runDurability(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const takeoverRuns = 3;
  const cancelRuns = 5;
  const loadBefore = loadavg();
  return withCluster(AGENTS, async (cluster) => {
    const { runs: takeovers, live } = await runTakeovers(cluster, takeoverRuns);
    printTakeover(takeovers);
    const cancels = await runCancels(cluster, live.address, cancelRuns);
    printCancels(cancels);

    const of = (scenario: LockScenario) => takeovers.filter((r) => r.scenario === scenario);
    const m = (runs: TakeoverRun[], pick: (r: TakeoverRun) => number) => median(runs.map(pick));
    const headlines: Headline[] = [];
    const byScenario: Record<LockScenario, TakeoverRun[]> = { default: of('default'), short: of('short') };
    const defaultProgress = m(byScenario.default, (r) => r.killToProgressMs);
    for (const setting of LOCK_SETTINGS) {
      const runs = byScenario[setting.scenario];
      const progress = m(runs, (r) => r.killToProgressMs);
      headlines.push({
        name: `coordinator SIGKILL → job progressing again (first partition finished by the replacement), ${setting.label}`,
        unit: 'ms',
        median: progress,
        ...(setting.scenario === 'default' ? {} : { baseline: defaultProgress, baselineLabel: 'default locks', ratio: ratio(progress, defaultProgress) }),
        note:
          `median of ${runs.length} runs (${range(runs.map((r) => r.killToProgressMs))}); lock lapsed ${fmtMs(m(runs, (r) => r.killToLockLapseMs))} and taken over ${fmtMs(m(runs, (r) => r.killToTakeoverMs))} after the kill; ` +
          `ready → progressing ${fmtMs(m(runs, (r) => r.readyToProgressMs))} (${range(runs.map((r) => r.readyToProgressMs))}); ` +
          `${runs.map((r) => r.partitionsRecovered).join('/')} of ${runs[0]?.partitions} partitions recovered; results checked`,
      });
    }
    const startToReady = takeovers.map((r) => r.startToReadyMs);
    headlines.push({
      name: 'replacement coordinator: process start → ready line',
      unit: 'ms',
      median: median(startToReady),
      note: `median of ${startToReady.length} starts (${range(startToReady)})`,
    });
    const freed = cancels.map((r) => r.slotsFreeMs);
    const cancelled = cancels.map((r) => r.cancelledEventMs);
    headlines.push(
      {
        name: `cancel: CancelJob → every slot free (${TOTAL_SLOTS} busy-looping partitions, GetStatus polled every 10 ms)`,
        unit: 'ms',
        median: median(freed),
        goal: { op: '<=', value: 2000 },
        note: `median of ${cancels.length} runs (${range(freed)})`,
      },
      {
        name: 'cancel: CancelJob → job CANCELLED (event at a watcher)',
        unit: 'ms',
        median: median(cancelled),
        note: `median of ${cancels.length} runs (${range(cancelled)})`,
      },
    );
    return {
      headlines,
      details: { agents: AGENTS, quick: isQuick(), defaultLocking: DEFAULT_JOB_LOCKING, shortLocking: SHORT_LOCKS, loadavgBefore: loadBefore, loadavgAfter: loadavg(), takeovers, cancels },
    };
  });
}

// ---------------------------------------------------------------- (c) A/B of dispatch throughput

interface AbSample {
  version: 'baseline' | 'current';
  round: number;
  /** dispatch.js's headline: median of its end-to-end runs, partitions/s from first start. */
  perSecond: number;
  runs: number[];
  coordinatorCpuUs: number;
  redisCpuUs: number;
  /** The in-process dispatcher alone (code both versions share): the machine's drift. */
  inProcessPerSecond: number;
  loadavgBefore: number;
  wallMs: number;
  /** Newest modification of the version's compiled coordinator, agent and shared code when it ran. */
  buildStamp: string;
}

interface DispatchDetails {
  endToEnd: Array<{ perSecondFromFirstStart: number; cpuMsPerPartition: Record<string, number> }>;
  inProcess: { rounds: Array<{ loaded: { perSecond: number } }> };
}

/** The newest mtime of the .js files under dist/{coordinator,node-agent,shared}: tells whether a build changed between rounds. */
function buildStamp(repo: string): string {
  let newest = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.js')) newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  for (const part of ['coordinator', 'node-agent', 'shared']) walk(join(repo, 'dist', part));
  return new Date(newest).toISOString();
}

function gitHead(repo: string): string {
  try {
    return execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
}

async function runDispatchOnce(repo: string, version: AbSample['version'], round: number, dir: string): Promise<AbSample> {
  const entry = join(repo, 'dist', 'bench', 'dispatch.js');
  const resultFile = join(dir, `${version}-${round}.json`);
  const loadBefore = loadavg()[0];
  const stamp = buildStamp(repo);
  const t0 = performance.now();
  const child = spawnManaged(`dispatch-${version}-${round}`, process.execPath, ['--enable-source-maps', entry], {
    cwd: repo,
    logFile: join(dir, `${version}-${round}.log`),
    env: { QUANTGRID_BENCH_RESULT_FILE: resultFile },
  });
  const status = await child.exited;
  if (status.code !== 0) throw new Error(`${entry} exited with ${status.signal ?? status.code}; log: ${child.logFile}\n${child.outputTail(20)}`);
  const result = JSON.parse(readFileSync(resultFile, 'utf8')) as BenchResult;
  const details = result.details as unknown as DispatchDetails;
  const runs = details.endToEnd.map((r) => r.perSecondFromFirstStart);
  return {
    version,
    round,
    perSecond: median(runs),
    runs,
    coordinatorCpuUs: median(details.endToEnd.map((r) => r.cpuMsPerPartition.coordinator * 1000)),
    redisCpuUs: median(details.endToEnd.map((r) => r.cpuMsPerPartition.redis * 1000)),
    inProcessPerSecond: median(details.inProcess.rounds.map((r) => r.loaded.perSecond)),
    loadavgBefore: loadBefore,
    wallMs: performance.now() - t0,
    buildStamp: stamp === buildStamp(repo) ? stamp : `${stamp} → ${buildStamp(repo)} (rebuilt during the run)`,
  };
}

export async function runAb(baselineRepo: string, rounds: number): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const currentRepo = fileURLToPath(new URL('../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'quantgrid-ab-'));
  const versions = { baseline: resolve(baselineRepo), current: currentRepo };
  logProgress(BENCH, `A/B: baseline ${versions.baseline} (${gitHead(versions.baseline)}) vs current ${versions.current} (${gitHead(versions.current)} + working tree), ${rounds} rounds; logs and results in ${dir}`);
  const samples: AbSample[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const version of ['baseline', 'current'] as const) {
      logProgress(BENCH, `A/B round ${round}/${rounds}: ${version} dispatch.js (load average ${loadavg()[0].toFixed(2)})`);
      const s = await runDispatchOnce(versions[version], version, round, dir);
      logProgress(BENCH, `A/B round ${round}: ${version} ${fmt(s.perSecond)}/s (runs ${s.runs.map((x) => fmt(x)).join(', ')}), in-process ${fmt(s.inProcessPerSecond)}/s`);
      samples.push(s);
    }
  }
  process.stdout.write(`\n### durability (c): dispatch end to end, baseline ${gitHead(versions.baseline)} vs current, alternated\n\n`);
  process.stdout.write(
    markdownTable(
      ['round', 'version', 'partitions/s (median of its runs)', 'runs', 'coordinator CPU/partition', 'Redis CPU/partition', 'in-process dispatcher', 'load average before', 'build'],
      samples.map((s) => [
        String(s.round),
        s.version,
        `${fmt(s.perSecond)}/s`,
        s.runs.map((x) => fmt(x)).join(', '),
        `${fmt(s.coordinatorCpuUs)} µs`,
        `${fmt(s.redisCpuUs)} µs`,
        `${fmt(s.inProcessPerSecond)}/s`,
        s.loadavgBefore.toFixed(2),
        s.buildStamp,
      ]),
    ) + '\n',
  );
  const pick = (version: AbSample['version']) => samples.filter((s) => s.version === version);
  for (const version of ['baseline', 'current'] as const) {
    if (new Set(pick(version).map((s) => s.buildStamp)).size > 1) process.stdout.write(`\nWARNING: the ${version} build changed between rounds (see the build column): its rounds measured different code.\n`);
  }
  const summary = (version: AbSample['version']) => {
    const s = pick(version);
    const all = s.flatMap((x) => x.runs);
    return {
      perSecond: median(s.map((x) => x.perSecond)),
      allRuns: median(all),
      min: Math.min(...all),
      max: Math.max(...all),
      runs: all.length,
      coordinatorCpuUs: median(s.map((x) => x.coordinatorCpuUs)),
      redisCpuUs: median(s.map((x) => x.redisCpuUs)),
      inProcessPerSecond: median(s.map((x) => x.inProcessPerSecond)),
    };
  };
  const base = summary('baseline');
  const cur = summary('current');
  // Paired by round: current / baseline of the same round.
  const paired = Array.from({ length: rounds }, (_, i) => ratio(pick('current')[i].perSecond, pick('baseline')[i].perSecond));
  const headlines: Headline[] = [
    {
      name: 'dispatch e2e with durable partition tracking: partitions/s (20,000 × noop 0 ms, 2×8 slots)',
      unit: '/s',
      median: cur.perSecond,
      baseline: base.perSecond,
      baselineLabel: `before durable tracking (${gitHead(versions.baseline)}), alternated`,
      ratio: ratio(cur.perSecond, base.perSecond),
      note: `${rounds} processes each, ${cur.runs} + ${base.runs} runs (current ${fmt(cur.min)}–${fmt(cur.max)}/s, baseline ${fmt(base.min)}–${fmt(base.max)}/s); paired ratios ${paired.map((r) => fmtRatio(r)).join(', ')}`,
    },
    {
      name: 'dispatch e2e: coordinator CPU per partition, durable tracking vs before',
      unit: 'µs',
      median: cur.coordinatorCpuUs,
      baseline: base.coordinatorCpuUs,
      baselineLabel: 'before',
      ratio: ratio(cur.coordinatorCpuUs, base.coordinatorCpuUs),
      note: `Redis ${fmt(cur.redisCpuUs)} µs vs ${fmt(base.redisCpuUs)} µs per partition`,
    },
    {
      name: 'control: in-process dispatcher alone (same code in both), current-run processes vs baseline-run processes',
      unit: '/s',
      median: cur.inProcessPerSecond,
      baseline: base.inProcessPerSecond,
      baselineLabel: 'in the baseline processes',
      ratio: ratio(cur.inProcessPerSecond, base.inProcessPerSecond),
    },
  ];
  return { headlines, details: { baselineRepo: versions.baseline, baselineHead: gitHead(versions.baseline), rounds, samples, summary: { baseline: base, current: cur }, paired, dir } };
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

if (isMain(import.meta.url)) {
  const baseline = argValue('--ab');
  if (baseline) {
    const rounds = Number(argValue('--ab-rounds') ?? 3);
    if (!Number.isInteger(rounds) || rounds < 1) {
      process.stderr.write('durability: --ab-rounds must be a positive integer\n');
      process.exit(2);
    }
    runBench(`${BENCH}-ab`, () => measureBench(`${BENCH}-ab`, () => runAb(baseline, rounds)));
  } else {
    runBench(BENCH, () => measureBench(BENCH, runDurability));
  }
}
