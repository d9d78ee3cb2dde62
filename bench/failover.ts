/**
 * Time from SIGKILL of an agent to its partitions running on another node.
 *
 * Two agents (2 slots each); 3 runs per scenario, a fresh agent joining after every kill:
 *  - saturated (the headline): a noop job of 8 partitions × 3,000 ms; once the victim (the newest
 *    agent) has a partition running it is SIGKILLed. The survivor's 2 slots are busy, so each
 *    retried partition also waits for one of them to free up.
 *  - spare capacity: 2 partitions × 3,000 ms; the node running the first one is killed, so the
 *    survivor has a free slot for every retried partition (the coordinator's failover path alone).
 * For each partition retried off the victim: kill → its next PARTITION_STARTED on the survivor,
 * split into kill → PARTITION_RETRIED (the coordinator noticed) and PARTITION_RETRIED → started.
 *
 * Baseline in the same run: kill → the victim's TTL check no longer passing in Consul
 * (/v1/health/service/quantgrid-agent?passing, followed with blocking queries), i.e. what a design
 * that waits for Consul would wait before even starting to reschedule.
 *
 * The first partitions of a job can start before WatchJob is subscribed (the job id comes from the
 * submit), so the kill is triggered by a PARTITION_STARTED event or by the watch's first snapshot
 * listing the victim among the running nodes.
 *
 * Run: node dist/bench/failover.js   (QUANTGRID_BENCH_QUICK=1: 300 ms partitions)
 */
import type { JobEvent__Output } from '../shared/generated/quantgrid/v1/JobEvent.js';
import type { LocalCluster } from '../scripts/local-cluster/index.js';
import { CoordinatorConnection } from '../shared/client/coordinator-connection.js';
import { watchToEnd } from '../shared/client/watch-to-end.js';
import { checkNoopResult, withCluster } from './lib/cluster.js';
import { isMain, logProgress, measureBench, runBench, size, sleep, type Headline } from './lib/harness.js';
import { fmtMs, markdownTable, median, ratio } from './lib/stats.js';

const BENCH = 'failover';
const SERVICE = 'quantgrid-agent';

/** ms from killedAt until serviceId is no longer among the passing instances in Consul. */
async function consulExpiryMs(consulAddress: string, serviceId: string, killedAt: number, timeoutMs = 60_000): Promise<number> {
  let index = '0';
  for (;;) {
    if (Date.now() - killedAt > timeoutMs) throw new Error(`${serviceId} still passing in Consul ${timeoutMs} ms after the kill`);
    const response = await fetch(`${consulAddress}/v1/health/service/${SERVICE}?passing=true&index=${index}&wait=5s`);
    const seenAt = Date.now();
    if (!response.ok) throw new Error(`Consul answered ${response.status} to the health query`);
    const entries = (await response.json()) as Array<{ Service?: { ID?: string } }>;
    if (!entries.some((entry) => entry.Service?.ID === serviceId)) return seenAt - killedAt;
    const next = response.headers.get('x-consul-index');
    // An index that went backwards means start over (Consul's rule for blocking queries).
    index = next && Number(next) >= Number(index) ? next : '0';
  }
}

interface RetriedPartition {
  partition: number;
  /** kill → PARTITION_RETRIED (the coordinator noticed and requeued it). */
  detectedMs: number;
  /** kill → PARTITION_STARTED again, on the survivor. */
  restartedMs: number;
  /** PARTITION_RETRIED → PARTITION_STARTED: waiting for a free slot. */
  queuedMs: number;
  restartedOn: string;
}

type Scenario = 'saturated' | 'spare';

interface TimelineEntry {
  /** ms since the kill. */
  t: number;
  type: string;
  partition: number;
  node: string;
  attempt: number;
}

interface FailoverRun {
  scenario: Scenario;
  run: number;
  victim: string;
  survivor: string;
  retried: RetriedPartition[];
  maxMs: number;
  medianMs: number;
  /** kill → the survivor's first free slot (its first PARTITION_FINISHED after the kill). */
  survivorSlotFreeMs: number;
  consulExpiryMs: number;
  /** Every partition event of the job, relative to the kill. */
  timeline: TimelineEntry[];
}

/**
 * saturated: 8 partitions on 2 × 2 slots; the newest agent is killed once it has a partition, and the
 * survivor's slots are all busy (the retried partitions wait for one to free up).
 * spare: 2 partitions; the node that got the first one is killed, so the survivor has a free slot
 * for each retried partition (the coordinator's failover path alone).
 */
async function failoverRun(cluster: LocalCluster, scenario: Scenario, run: number, workMs: number): Promise<FailoverRun> {
  const connection = new CoordinatorConnection({ address: cluster.coordinator.address, token: cluster.coordinator.adminToken });
  try {
    const agents = cluster.agents;
    let victim = scenario === 'saturated' ? agents[agents.length - 1].nodeId : '';
    const partitions = scenario === 'saturated' ? 8 : 2;
    const { jobId } = await connection.submitJob({ name: `bench-failover-${scenario}-${run}`, spec: { noop: { partitions, workMs } } });
    let killedAt = 0;
    let killing: Promise<void> | undefined;
    let expiry: Promise<number> | undefined;
    const outcome = await watchToEnd(connection, jobId, {
      timeoutMs: 10 * 60_000,
      keep: (event) => event.partition >= 0,
      onEvent: (event) => {
        if (killing) return;
        // The first partitions may start before the watch is subscribed (job ids are made by the
        // coordinator, so the watch can only follow the submit): the watch's first event, a
        // snapshot, then names the nodes already running partitions.
        const running = event.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' ? [event.nodeId] : (event.progress?.runningNodes ?? []);
        if (scenario === 'spare' && !victim && running.length > 0) victim = running[0];
        if (victim && running.includes(victim)) {
          killedAt = Date.now();
          killing = cluster.killAgent(victim, 'SIGKILL');
          expiry = consulExpiryMs(cluster.consul.httpAddress, victim, killedAt);
          // Keep a failure of the Consul query from being unhandled while the job runs; it is awaited below.
          expiry.catch(() => undefined);
        }
      },
    });
    if (!killing || !expiry) throw new Error(`the victim ${victim} was never given a partition`);
    const survivor = agents.find((a) => a.nodeId !== victim)!.nodeId;
    await killing;
    const consulMs = await expiry;
    checkNoopResult(outcome.job, partitions);

    const events: JobEvent__Output[] = outcome.events;
    const retried: RetriedPartition[] = [];
    for (const retry of events.filter((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_RETRIED' && e.nodeId === victim)) {
      const restart = events.find((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_STARTED' && e.partition === retry.partition && e.timeMs >= retry.timeMs && e.nodeId !== victim);
      if (!restart) throw new Error(`partition ${retry.partition} was retried but never started again`);
      retried.push({
        partition: retry.partition,
        detectedMs: retry.timeMs - killedAt,
        restartedMs: restart.timeMs - killedAt,
        queuedMs: restart.timeMs - retry.timeMs,
        restartedOn: restart.nodeId,
      });
    }
    if (retried.length === 0) throw new Error('no partition was retried off the victim');
    const survivorFinish = events.find((e) => e.type === 'JOB_EVENT_TYPE_PARTITION_FINISHED' && e.nodeId === survivor && e.timeMs >= killedAt);
    const times = retried.map((r) => r.restartedMs);
    return {
      scenario,
      run,
      victim,
      survivor,
      retried,
      maxMs: Math.max(...times),
      medianMs: median(times),
      // With spare capacity the survivor had a free slot at the kill.
      survivorSlotFreeMs: scenario === 'spare' ? 0 : survivorFinish ? survivorFinish.timeMs - killedAt : Number.NaN,
      consulExpiryMs: consulMs,
      timeline: events.map((e) => ({ t: e.timeMs - killedAt, type: e.type.replace('JOB_EVENT_TYPE_', ''), partition: e.partition, node: e.nodeId, attempt: e.attempt })),
    };
  } finally {
    connection.close();
  }
}

function printRuns(runs: FailoverRun[], workMs: number, title: string): void {
  process.stdout.write(`\n### failover, ${title}: noop partitions × ${workMs} ms, 2 agents × 2 slots\n\n`);
  process.stdout.write(
    markdownTable(
      ['run', 'victim → survivor', 'retried', 'kill → noticed', 'kill → restarted (max / median)', 'noticed → restarted', "kill → survivor's first free slot", 'kill → Consul check not passing'],
      runs.map((r) => [
        String(r.run),
        `${r.victim} → ${r.survivor}`,
        String(r.retried.length),
        r.retried.map((p) => fmtMs(p.detectedMs)).join(', '),
        `${fmtMs(r.maxMs)} / ${fmtMs(r.medianMs)}`,
        r.retried.map((p) => fmtMs(p.queuedMs)).join(', '),
        r.scenario === 'spare' ? 'free at the kill' : fmtMs(r.survivorSlotFreeMs),
        fmtMs(r.consulExpiryMs),
      ]),
    ) + '\n',
  );
}

export async function runFailover(): Promise<{ headlines: Headline[]; details: Record<string, unknown> }> {
  const workMs = size(3000);
  const runCount = 3;
  return withCluster([{ slots: 2 }, { slots: 2 }], async (cluster) => {
    const byScenario: Record<Scenario, FailoverRun[]> = { saturated: [], spare: [] };
    let first = true;
    for (const scenario of ['saturated', 'spare'] as const) {
      for (let run = 1; run <= runCount; run++) {
        if (!first) {
          // A fresh agent replaces the one killed, so every run starts with two agents.
          const fresh = await cluster.addAgent({ slots: 2 });
          await cluster.waitForNodes({ accept: (node) => node.state === 'ready', timeoutMs: 60_000 });
          logProgress(BENCH, `fresh agent ${fresh.nodeId} ready`);
          await sleep(500);
        }
        first = false;
        logProgress(BENCH, `${scenario} run ${run}/${runCount}`);
        const r = await failoverRun(cluster, scenario, run, workMs);
        logProgress(BENCH, `${scenario} run ${run}: ${r.victim} killed; ${r.retried.length} partitions restarted on ${r.survivor} after max ${fmtMs(r.maxMs)}; Consul check failed after ${fmtMs(r.consulExpiryMs)}`);
        byScenario[scenario].push(r);
      }
    }
    printRuns(byScenario.saturated, workMs, "8 partitions: the survivor's slots are all busy");
    printRuns(byScenario.spare, workMs, 'spare capacity: 2 partitions, the node running the first one is killed');

    const all = [...byScenario.saturated, ...byScenario.spare];
    const consulMs = median(all.map((r) => r.consulExpiryMs));
    const consulLabel = `Consul TTL check expiry, median of ${all.length}`;
    const runs = byScenario.saturated;
    const spare = byScenario.spare;
    const maxMs = median(runs.map((r) => r.maxMs));
    const medianMs = median(runs.map((r) => r.medianMs));
    const spareMaxMs = median(spare.map((r) => r.maxMs));
    const detectedMs = median(all.flatMap((r) => r.retried.map((p) => p.detectedMs)));
    const headlines: Headline[] = [
      {
        name: `failover: SIGKILL → partitions running on survivor, max per run (8 × noop ${workMs} ms, 2×2 slots)`,
        unit: 'ms',
        median: maxMs,
        baseline: consulMs,
        baselineLabel: consulLabel,
        ratio: ratio(maxMs, consulMs),
        goal: { op: '<=', value: 2000 },
        note: `median of ${runCount} runs; worst ${fmtMs(Math.max(...runs.map((r) => r.maxMs)))}; survivor saturated`,
      },
      {
        name: 'failover: SIGKILL → partitions running on survivor, median per run',
        unit: 'ms',
        median: medianMs,
        baseline: consulMs,
        baselineLabel: consulLabel,
        ratio: ratio(medianMs, consulMs),
        goal: { op: '<=', value: 2000 },
        note: `median of ${runCount} runs; survivor saturated`,
      },
      {
        name: `failover with spare capacity: SIGKILL → running on survivor, max per run (2 × noop ${workMs} ms)`,
        unit: 'ms',
        median: spareMaxMs,
        baseline: consulMs,
        baselineLabel: consulLabel,
        ratio: ratio(spareMaxMs, consulMs),
        goal: { op: '<=', value: 2000 },
        note: `median of ${runCount} runs; worst ${fmtMs(Math.max(...spare.map((r) => r.maxMs)))}`,
      },
      {
        name: 'failover: SIGKILL → coordinator noticed (PARTITION_RETRIED)',
        unit: 'ms',
        median: detectedMs,
        baseline: consulMs,
        baselineLabel: consulLabel,
        ratio: ratio(detectedMs, consulMs),
        note: `median of ${all.reduce((n, r) => n + r.retried.length, 0)} retried partitions, both scenarios`,
      },
    ];
    return { headlines, details: { workMs, runs: all } };
  });
}

if (isMain(import.meta.url)) {
  runBench(BENCH, () => measureBench(BENCH, runFailover));
}
