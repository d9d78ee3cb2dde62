import type { JobType } from 'bullmq';
import type { Redis } from 'ioredis';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry, METRIC_PREFIX } from '../../shared/metrics/metrics-registry.js';
import { HotCounter, HotHistogram } from '../../shared/metrics/hot-path-metrics.js';
import type { NodeState, NodeTable } from '../nodes/node-table.js';
import { NODE_STATES } from '../../shared/node-state.js';
import type { AttemptOutcome, DispatchObserver, RetryCause } from '../partitions/dispatch-observer.js';

/** Every state a node can be in, so each is exported (as 0 when no node is in it). */
/** BullMQ's job states, as the queue counts them. */
const QUEUE_STATES: readonly JobType[] = ['waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed', 'waiting-children'];
export type FinishedStatus = 'completed' | 'failed' | 'cancelled';

const RUN_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
const RTT_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
/** How often Redis's round-trip time is measured (a PING). */
export const REDIS_PING_INTERVAL_MS = 5_000;

/** What the metrics read at scrape time. */
export interface CoordinatorMetricsSources {
  table: Pick<NodeTable, 'all' | 'stateOf'>;
  /** Partitions in the dispatch queue, and attempts running (PartitionDispatcher.queuedCount, runningCount). */
  queuedPartitions: () => number;
  runningPartitions: () => number;
  /** BullMQ job counts by state (JobStore.queue.getJobCounts). */
  jobCounts: (...states: JobType[]) => Promise<Record<string, number>>;
  /** The connection whose round trips are measured. */
  redis: Pick<Redis, 'ping'>;
}

/**
 * The coordinator's Prometheus metrics (docs/metrics.md has the table). Dispatch feeds counters and
 * histograms as it goes (DispatchObserver: a few increments per attempt, labels bounded by kind,
 * outcome and cause); the state of the cluster is read when scraped.
 */
export class CoordinatorMetrics implements DispatchObserver {
  readonly registry: Registry;
  private readonly attempts: HotCounter;
  private readonly runSeconds: HotHistogram;
  private readonly dispatchLatency: HotHistogram;
  private readonly retries: HotCounter;
  private readonly failovers: { inc(): void };
  private readonly quarantines: Counter;
  private readonly backupsLaunched: HotCounter;
  private readonly backupsWon: HotCounter;
  private readonly jobsFinished: Counter<'status'>;
  private readonly jobsStarted: Counter;
  private readonly redisRtt: Histogram;
  private readonly redisPingFailures: Counter;
  private pinger: NodeJS.Timeout | undefined;
  /** Partition attempts this coordinator saw complete since it started (what the dashboard's partitions/s counts). */
  completedAttempts = 0;

  constructor(private readonly sources: CoordinatorMetricsSources, registry: Registry = createMetricsRegistry()) {
    this.registry = registry;
    const registers = [registry];
    const p = METRIC_PREFIX;
    this.attempts = new HotCounter(`${p}partition_attempts_total`, 'Partition attempts dispatched by this coordinator that ended, by task kind and outcome (completed, failed, retried, exhausted, refused, cancelled, superseded, dropped)', ['kind', 'outcome'], registry);
    this.runSeconds = new HotHistogram(`${p}partition_run_seconds`, 'Time from dispatch to result of partition attempts that completed, by task kind', ['kind'], RUN_BUCKETS, registry);
    this.dispatchLatency = new HotHistogram(`${p}partition_dispatch_latency_seconds`, 'Time a partition waited in the dispatch queue before it was sent to a node (first attempt and retries), by task kind', ['kind'], LATENCY_BUCKETS, registry);
    this.retries = new HotCounter(`${p}partition_retries_total`, 'Partitions sent to another node after a transient failure, by cause (agent-error, stream-error, stream-ended, heartbeat-timeout, dispatch-failed)', ['cause'], registry);
    this.failovers = new HotCounter(`${p}partition_failovers_total`, 'Retries because the node was found unreachable (dead, cut off, or silent past the heartbeat timeout)', [], registry).child();
    this.backupsLaunched = new HotCounter(`${p}partition_backups_launched_total`, 'Backup copies of straggling partitions sent to another node (they do not count as attempts of the partition), by task kind', ['kind'], registry);
    this.backupsWon = new HotCounter(`${p}partition_backups_won_total`, 'Backup copies that finished before the straggler they copied (which was then cancelled), by task kind', ['kind'], registry);
    this.quarantines = new Counter({ name: `${p}node_quarantines_total`, help: 'Times a node was quarantined after consecutive failures', registers });
    this.jobsStarted = new Counter({ name: `${p}jobs_started_total`, help: 'Jobs this coordinator started running (a job taken over counts again)', registers });
    this.jobsFinished = new Counter({ name: `${p}jobs_finished_total`, help: 'Jobs this coordinator ran to an end, by status (completed, failed, cancelled)', labelNames: ['status'], registers });
    this.redisRtt = new Histogram({ name: `${p}redis_round_trip_seconds`, help: `Round-trip time of a PING to Redis, every ${REDIS_PING_INTERVAL_MS / 1000} s`, buckets: RTT_BUCKETS, registers });
    this.redisPingFailures = new Counter({ name: `${p}redis_ping_failures_total`, help: 'PINGs to Redis that failed', registers });
    for (const status of ['completed', 'failed', 'cancelled'] as const) this.jobsFinished.inc({ status }, 0);

    const { table, queuedPartitions, runningPartitions, jobCounts } = sources;
    new Gauge({
      name: `${p}nodes`,
      help: 'Nodes this coordinator knows, by state (ready, unreachable, quarantined, draining, incompatible, unverified, gone)',
      labelNames: ['state'],
      registers,
      collect() {
        const counts = new Map<NodeState, number>(NODE_STATES.map((state) => [state, 0]));
        const now = Date.now();
        for (const node of table.all()) {
          const state = table.stateOf(node, now);
          counts.set(state, (counts.get(state) ?? 0) + 1);
        }
        for (const [state, count] of counts) this.set({ state }, count);
      },
    });
    new Gauge({
      name: `${p}slots`,
      help: 'Slots of the ready nodes',
      registers,
      collect() {
        const now = Date.now();
        this.set(table.all().reduce((sum, node) => sum + (table.stateOf(node, now) === 'ready' ? node.slots : 0), 0));
      },
    });
    new Gauge({
      name: `${p}slots_in_use`,
      help: 'Slots running a partition of this coordinator, on all nodes',
      registers,
      collect() {
        this.set(table.all().reduce((sum, node) => sum + node.busySlots, 0));
      },
    });
    new Gauge({ name: `${p}partitions_queued`, help: "Partitions waiting in this coordinator's dispatch queue", registers, collect() { this.set(queuedPartitions()); } });
    new Gauge({ name: `${p}partitions_running`, help: 'Partition attempts this coordinator has running', registers, collect() { this.set(runningPartitions()); } });
    new Gauge({
      name: `${p}jobs`,
      help: 'Jobs in the shared queue (all coordinators), by BullMQ state: waiting, prioritized and delayed are queued; active running; failed includes cancelled',
      labelNames: ['state'],
      registers,
      async collect() {
        const counts = await jobCounts(...QUEUE_STATES);
        for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });
  }

  /** Starts measuring Redis's round-trip time. */
  start(): void {
    const ping = (): void => {
      const started = performance.now();
      this.sources.redis.ping().then(
        () => this.redisRtt.observe((performance.now() - started) / 1000),
        () => this.redisPingFailures.inc(),
      );
    };
    ping();
    this.pinger = setInterval(ping, REDIS_PING_INTERVAL_MS);
    this.pinger.unref();
  }

  stop(): void {
    if (this.pinger) clearInterval(this.pinger);
  }

  dispatched(kind: string, queuedMs: number): void {
    this.dispatchLatency.child(kind).observe(queuedMs / 1000);
  }

  attemptEnded(kind: string, outcome: AttemptOutcome, runMs: number): void {
    this.attempts.child(kind, outcome).inc();
    if (outcome === 'completed') {
      this.completedAttempts += 1;
      this.runSeconds.child(kind).observe(runMs / 1000);
    }
  }

  retried(cause: RetryCause, failover: boolean): void {
    this.retries.child(cause).inc();
    if (failover) this.failovers.inc();
  }

  quarantined(): void {
    this.quarantines.inc();
  }

  backupLaunched(kind: string): void {
    this.backupsLaunched.child(kind).inc();
  }

  backupWon(kind: string): void {
    this.backupsWon.child(kind).inc();
  }

  jobStarted(): void {
    this.jobsStarted.inc();
  }

  jobFinished(status: FinishedStatus): void {
    this.jobsFinished.inc({ status });
  }
}
