/**
 * What GET /api/stream sends, computed once per coordinator for all its open pages and only while
 * one is open: the overview and the nodes every STREAM_SNAPSHOT_MS, and every STREAM_JOB_MS a `job`
 * for each job whose event log in Redis moved (whichever coordinator runs it) or that ended. Its cost
 * does not grow with the pages open, nor with a job's events: one look at each unfinished job's log
 * (its last id) per tick, all in one pipeline, and the changed jobs' summaries read in another
 * (JobStore.viewsOf), whatever their number. A page that reads slower than it is sent to skips
 * snapshots meanwhile.
 */
import { STREAM_JOB_MS, STREAM_SNAPSHOT_MS, type JobSummary, type StreamEventName, type StreamEvents } from '../../shared/dashboard/api-types.js';
import { errorMessage } from '../../shared/errors.js';
import { toJobSummary } from './dashboard-views.js';
import type { DashboardDeps } from './dashboard-deps.js';
import type { Snapshots } from './snapshots.js';
import type { SseStream } from './sse-stream.js';

/** The BullMQ states of a job not ended yet, each listed apart (the listing then gives each job's state). */
const UNFINISHED_STATES = ['active', 'waiting', 'prioritized'] as const;

export interface FeedTiming {
  snapshotMs: number;
  jobMs: number;
}

export class DashboardFeed {
  private readonly clients = new Set<SseStream>();
  private timers: NodeJS.Timeout[] = [];
  /** Unfinished jobs seen, with the last event id of each. */
  private readonly watched = new Map<string, string>();
  /** Finished jobs already sent (for a few ticks), by when. */
  private readonly reported = new Map<string, number>();
  private ticking = { snapshot: false, jobs: false };
  /** Where the last look at finished jobs stopped (their end time), so a job that began and ended between two ticks is reported too. */
  private finishedSince = 0;

  constructor(
    private readonly deps: Pick<DashboardDeps, 'store' | 'runner' | 'log'>,
    private readonly snapshots: Pick<Snapshots, 'overview' | 'nodes'>,
    private readonly timing: FeedTiming = { snapshotMs: STREAM_SNAPSHOT_MS, jobMs: STREAM_JOB_MS },
  ) {}

  get subscribers(): number {
    return this.clients.size;
  }

  /** Adds a page; it gets the snapshots at once. Removed when its stream closes. */
  subscribe(client: SseStream): void {
    this.clients.add(client);
    client.closed.addEventListener('abort', () => this.unsubscribe(client), { once: true });
    if (this.clients.size === 1) this.start();
    void this.snapshot([client]);
  }

  private unsubscribe(client: SseStream): void {
    this.clients.delete(client);
    if (this.clients.size === 0) this.stop();
  }

  private start(): void {
    const every = (ms: number, tick: () => Promise<void>): void => {
      const timer = setInterval(() => void tick(), ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.timing.snapshotMs, () => this.snapshot([...this.clients]));
    every(this.timing.jobMs, () => this.jobsTick());
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    this.watched.clear();
    this.reported.clear();
    this.finishedSince = 0;
  }

  /** Ends every page's stream (the server is stopping). */
  close(): void {
    for (const client of this.clients) client.end();
    this.clients.clear();
    this.stop();
  }

  private broadcast<E extends StreamEventName>(clients: Iterable<SseStream>, event: E, data: StreamEvents[E], skipWhenCongested: boolean): void {
    for (const client of clients) if (!(skipWhenCongested && client.congested)) client.send(event, data);
  }

  private async snapshot(clients: SseStream[]): Promise<void> {
    if (this.ticking.snapshot || clients.length === 0) return;
    this.ticking.snapshot = true;
    try {
      const [overviewNow, nodes] = await Promise.all([this.snapshots.overview(), this.snapshots.nodes()]);
      this.broadcast(clients, 'overview', overviewNow, true);
      this.broadcast(clients, 'nodes', nodes, true);
    } catch (error) {
      this.deps.log.debug({ err: errorMessage(error) }, 'dashboard snapshot not sent');
    } finally {
      this.ticking.snapshot = false;
    }
  }

  /** A job whose BullMQ state the tick did not see (it left the queue's lists other than by ending), read alone. */
  private async summary(jobId: string): Promise<JobSummary | undefined> {
    const job = await this.deps.store.get(jobId);
    return job && toJobSummary(await this.deps.store.describe(job, this.deps.runner.liveSnapshot(jobId)));
  }

  private async jobsTick(): Promise<void> {
    if (this.ticking.jobs || this.clients.size === 0) return;
    this.ticking.jobs = true;
    try {
      const { store, runner } = this.deps;
      const since = this.finishedSince || Date.now() - this.timing.jobMs;
      const now = Date.now();
      const [unfinishedIds, completed, failed] = await Promise.all([
        Promise.all(UNFINISHED_STATES.map((state) => store.queue.getRanges([state], 0, -1))),
        store.connection.zrangebyscore(store.queue.toKey('completed'), since, '+inf'),
        store.connection.zrangebyscore(store.queue.toKey('failed'), since, '+inf'),
      ]);
      // The next look overlaps this one by a tick (a job's end is stamped before it is in the set); repeats are filtered below.
      this.finishedSince = now - this.timing.jobMs;
      const stateOf = new Map<string, string>();
      UNFINISHED_STATES.forEach((state, i) => unfinishedIds[i].forEach((id) => stateOf.set(id, state)));
      const unfinished = [...stateOf.keys()];
      const ended = [...new Set([...this.watched.keys(), ...completed, ...failed])].filter((id) => !stateOf.has(id) && !this.reported.has(id));
      for (const id of completed) if (!stateOf.has(id)) stateOf.set(id, 'completed');
      for (const id of failed) if (!stateOf.has(id)) stateOf.set(id, 'failed');
      for (const id of ended) this.reported.set(id, now);
      for (const [id, at] of this.reported) if (at < now - 10 * this.timing.jobMs) this.reported.delete(id);
      const lastIds = await runner.hub.lastIds(unfinished);
      const changed = unfinished.filter((id, i) => this.watched.get(id) !== lastIds[i]);
      unfinished.forEach((id, i) => this.watched.set(id, lastIds[i]));
      for (const id of ended) this.watched.delete(id);
      // One event per job per tick, all read in one pipeline (JobStore.viewsOf).
      const due = [...changed, ...ended];
      const views = await store.viewsOf(
        due.filter((id) => stateOf.has(id)).map((id) => ({ id, state: stateOf.get(id)! })),
        (id) => runner.liveSnapshot(id),
      );
      for (const { view } of views) this.broadcast(this.clients, 'job', toJobSummary(view, view.resultBytes), false);
      for (const id of due.filter((id) => !stateOf.has(id))) {
        const summary = await this.summary(id);
        if (summary) this.broadcast(this.clients, 'job', summary, false);
      }
    } catch (error) {
      this.deps.log.debug({ err: errorMessage(error) }, 'dashboard job updates not sent');
    } finally {
      this.ticking.jobs = false;
    }
  }
}
