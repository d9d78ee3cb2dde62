import type { Redis } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { Logger } from '../../shared/logging.js';
import { GroupCommit } from '../redis/group-commit.js';
import { decodeJobEvent, encodeJobEvent } from './job-event-encoding.js';

/** A job event as read back from the log, with its id (a Redis stream id, ordered). */
export interface LoggedEvent {
  id: string;
  event: JobEvent;
}

/**
 * What a write of this coordinator gives the job's watchers waiting here (waitForEvents): its
 * events of the job as a read would return them, `after` the id of the entry right before them in
 * the log ('0' for none), and `mark` the write's own mark. A watcher whose cursor is `after` has
 * read every event before them, so it takes them without reading the log; any other reads it.
 */
export interface WrittenEvents {
  after: string;
  events: LoggedEvent[];
  mark: number;
}

/**
 * Every job's events, in order, in a Redis stream ({prefix}:job:{id}:events), written by whichever
 * coordinator runs the job. Any coordinator serves WatchJob from it, and a watcher that lost its
 * stream re-attaches after the last event id it saw without missing or repeating events — across
 * coordinator restarts and takeovers too.
 *
 * Events carry no results: a completed job's result is in its record only (JobWorker publishes
 * COMPLETED without it; WatchJob adds it). An entry's form, with a running job's progress at its
 * defaults left out, is job-event-encoding.ts's. A stream keeps its latest MAX_EVENTS events and lives
 * as long as the job's record.
 */
export class JobEventLog {
  static readonly MAX_EVENTS = 100_000;
  static readonly WRITE_MARKS_KEPT = 10_000;
  /** The most events one read takes unless its caller says otherwise. */
  static readonly READ_COUNT = 500;

  /**
   * `redis` writes, and waits out a reconnect (events published over a short Redis outage are
   * written once it is back); `reader` serves watchers and should fail fast (maxRetriesPerRequest 1):
   * a watch then ends with UNAVAILABLE while Redis is down, and its client resumes after the last
   * event it saw.
   */
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    private readonly reader: Redis = redis,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:job:${jobId}:events`;
  }

  /** Events waiting to be written, in order. */
  private pending: Array<{ event: JobEvent; final: boolean }> = [];
  private readonly commit = new GroupCommit(() => this.writePending());
  /** Count of writes that completed; per job, the count after the last write that held its events. */
  private writes = 0;
  private readonly lastWriteOf = new Map<string, number>();
  private readonly wakers = new Map<string, Set<(written?: WrittenEvents) => void>>();
  /** Per job watched here: its watches, and what the latest write logged of it when that write could tell. */
  private readonly watches = new Map<string, { count: number; latest?: WrittenEvents }>();

  /**
   * A watch of the job on this coordinator begins: while it lasts, each write of the job's events
   * also reads the entries ending its log (one XREVRANGE in the same pipeline), so that
   * waitForEvents can say what the write logged. Call the returned function when the watch ends.
   */
  watching(jobId: string): () => void {
    const watch = this.watches.get(jobId) ?? { count: 0 };
    watch.count++;
    this.watches.set(jobId, watch);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      if (--watch.count === 0 && this.watches.get(jobId) === watch) this.watches.delete(jobId);
    };
  }

  /**
   * Appends an event (fire and forget: a lost progress event must not stop a job). Written by
   * group commit (group-commit.ts): a busy job producing thousands of events a second costs a
   * round trip per batch, and a quiet one adds no delay.
   */
  publish(event: JobEvent, final = false): void {
    this.pending.push({ event, final });
    void this.commit.request();
  }

  /** Resolves once Redis has every event published before the call (never rejects). */
  flush(): Promise<void> {
    return this.commit.request();
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const write = this.redis.pipeline();
    /** Per job: its entries in this write (fields, and the index of the XADD's reply). */
    const byJob = new Map<string, Array<{ field: string; json: string; reply: number }>>();
    let replies = 0;
    for (const { event, final } of batch) {
      const jobId = event.jobId as string;
      const key = this.key(jobId);
      const [field, json] = encodeJobEvent(event);
      write.xadd(key, 'MAXLEN', '~', JobEventLog.MAX_EVENTS, '*', field, json);
      let entries = byJob.get(jobId);
      if (!entries) byJob.set(jobId, (entries = []));
      entries.push({ field, json, reply: replies++ });
      // The TTL is set on the first events and refreshed at the end; in between it is far away.
      if (final || event.type === 'JOB_EVENT_TYPE_STARTED') {
        write.expire(key, this.ttlSeconds);
        replies++;
      }
    }
    // For a job watched here: the entries ending its log once these are in, ours and the one
    // before them, which says whether another writer's came in between.
    const tails = new Map<string, number>();
    for (const [jobId, entries] of byJob) {
      if (!this.watches.has(jobId)) continue;
      write.xrevrange(this.key(jobId), '+', '-', 'COUNT', entries.length + 1);
      tails.set(jobId, replies++);
    }
    let results: Array<[Error | null, unknown]>;
    try {
      results = (await write.exec()) ?? [];
    } catch (error) {
      this.log.warn({ events: batch.length, err: errorMessage(error) }, 'job events not logged');
      return;
    }
    const count = ++this.writes;
    for (const [jobId, entries] of byJob) {
      const tail = tails.get(jobId);
      this.written(jobId, count, tail === undefined ? undefined : writtenEvents(entries, results, tail, count));
    }
  }

  private written(jobId: string, count: number, written: WrittenEvents | undefined): void {
    // Most recently written last; the oldest marks go first (a watcher then waits a poll interval).
    this.lastWriteOf.delete(jobId);
    this.lastWriteOf.set(jobId, count);
    if (this.lastWriteOf.size > JobEventLog.WRITE_MARKS_KEPT) this.lastWriteOf.delete(this.lastWriteOf.keys().next().value as string);
    const watch = this.watches.get(jobId);
    if (watch) watch.latest = written;
    const waiting = this.wakers.get(jobId);
    this.wakers.delete(jobId);
    for (const wake of waiting ?? []) wake(written);
  }

  /** A mark to pass to waitForEvents: taken before reading the log, it closes the gap between the read and the wait. */
  writeMark(): number {
    return this.writes;
  }

  /**
   * Resolves when this coordinator has written events of the job after `mark` (at once when it
   * already has), or after timeoutMs: the job may be running on another coordinator, whose writes
   * only a read of the log reveals. For a job watched here (`watching`) it resolves with what the
   * latest write logged (WrittenEvents) when that write could tell; otherwise with undefined.
   */
  waitForEvents(jobId: string, mark: number, timeoutMs: number): Promise<WrittenEvents | undefined> {
    const last = this.lastWriteOf.get(jobId) ?? 0;
    if (last > mark) {
      const latest = this.watches.get(jobId)?.latest;
      return Promise.resolve(latest?.mark === last ? latest : undefined);
    }
    return new Promise<WrittenEvents | undefined>((resolve) => {
      let waiting = this.wakers.get(jobId);
      if (!waiting) this.wakers.set(jobId, (waiting = new Set()));
      const wake = (written?: WrittenEvents): void => {
        clearTimeout(timer);
        resolve(written);
      };
      const timer = setTimeout(() => {
        const current = this.wakers.get(jobId);
        current?.delete(wake);
        if (current?.size === 0) this.wakers.delete(jobId);
        resolve(undefined);
      }, timeoutMs);
      waiting.add(wake);
    });
  }

  /** Events after `afterId` ('0' for all), at most `count`. */
  async read(jobId: string, afterId: string, count = JobEventLog.READ_COUNT): Promise<LoggedEvent[]> {
    const entries = await this.reader.xrange(this.key(jobId), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([id, fields]) => ({ id, event: decodeJobEvent(fields[0], fields[1]) }));
  }

  /** Id of the latest event, or '0' when there is none. */
  async lastId(jobId: string): Promise<string> {
    const entries = await this.reader.xrevrange(this.key(jobId), '+', '-', 'COUNT', 1);
    return entries[0]?.[0] ?? '0';
  }

  /**
   * lastId of each job, in one pipeline whatever their number. One job's is one command: a pipeline
   * on the reader (the connection BullMQ's queue defines its scripts on, each copied into every
   * pipeline made on it) costs more to build than the command costs to send (bench tiny-jobs: ~75 µs
   * per WatchJob).
   */
  async lastIds(jobIds: readonly string[]): Promise<string[]> {
    if (jobIds.length === 0) return [];
    if (jobIds.length === 1) return [await this.lastId(jobIds[0])];
    const read = this.reader.pipeline();
    for (const jobId of jobIds) read.xrevrange(this.key(jobId), '+', '-', 'COUNT', 1);
    const replies = (await read.exec()) ?? [];
    return jobIds.map((_, i) => {
      const [error, entries] = replies[i] ?? [new Error('no reply')];
      if (error) throw error;
      return (entries as Array<[string, string[]]>)[0]?.[0] ?? '0';
    });
  }
}

/**
 * A job's entries in one write as WrittenEvents, from the write's replies: their ids (the XADDs'
 * replies) must be the newest entries of its log (the XREVRANGE at `tail`, newest first), and the
 * entry after them there is the one before them. Undefined when a reply failed or another
 * writer's entry is among them.
 */
function writtenEvents(entries: ReadonlyArray<{ field: string; json: string; reply: number }>, results: ReadonlyArray<[Error | null, unknown]>, tail: number, mark: number): WrittenEvents | undefined {
  const [tailError, newest] = results[tail] ?? [new Error('no reply')];
  if (tailError || !Array.isArray(newest)) return undefined;
  const ids: string[] = [];
  for (const { reply } of entries) {
    const [error, id] = results[reply] ?? [new Error('no reply')];
    if (error || typeof id !== 'string') return undefined;
    ids.push(id);
  }
  const tailIds = (newest as Array<[string, string[]]>).map(([id]) => id);
  for (let i = 0; i < ids.length; i++) if (tailIds[ids.length - 1 - i] !== ids[i]) return undefined;
  return {
    after: tailIds[ids.length] ?? '0',
    events: entries.map(({ field, json }, i) => ({ id: ids[i], event: decodeJobEvent(field, json) })),
    mark,
  };
}

/** Stream ids look like "1700000000000-0". */
export const EVENT_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
