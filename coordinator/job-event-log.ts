import type { Redis } from 'ioredis';
import { errorMessage } from '../shared/errors.js';
import type { JobEvent } from '../shared/generated/quantgrid/v1/JobEvent.js';
import type { Logger } from '../shared/logging.js';

/** A job event as read back from the log, with its id (a Redis stream id, ordered). */
export interface LoggedEvent {
  id: string;
  event: JobEvent;
}

/**
 * Every job's events, in order, in a Redis stream ({prefix}:job:{id}:events), written by whichever
 * coordinator runs the job. Any coordinator serves WatchJob from it, and a watcher that lost its
 * stream re-attaches after the last event id it saw without missing or repeating events — across
 * coordinator restarts and takeovers too.
 *
 * A completed event is logged without its result (the job record holds it; WatchJob adds it), and
 * a stream keeps its latest MAX_EVENTS events and lives as long as the job's record.
 */
export class JobEventLog {
  static readonly MAX_EVENTS = 100_000;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:job:${jobId}:events`;
  }

  /** Events waiting to be written, in order; flushed together (one round trip) a moment later. */
  private pending: Array<{ event: JobEvent; final: boolean }> = [];
  private flushTimer: NodeJS.Timeout | undefined;

  /**
   * Appends an event (fire and forget: a lost progress event must not stop a job). Events are
   * buffered for FLUSH_MS and written in one pipeline: a busy job produces thousands a second.
   */
  publish(event: JobEvent, final = false): void {
    this.pending.push({ event, final });
    if (this.pending.length >= JobEventLog.FLUSH_EVENTS) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), JobEventLog.FLUSH_MS);
  }

  static readonly FLUSH_MS = 20;
  static readonly FLUSH_EVENTS = 512;

  /** Writes the buffered events now; resolves once Redis has them (never rejects). */
  flush(): Promise<void> {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.pending.length === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = [];
    const write = this.redis.pipeline();
    for (const { event, final } of batch) {
      const key = this.key(event.jobId as string);
      const stored = event.type === 'JOB_EVENT_TYPE_COMPLETED' ? { ...event, resultJson: '' } : event;
      write.xadd(key, 'MAXLEN', '~', JobEventLog.MAX_EVENTS, '*', 'e', JSON.stringify(stored));
      // The TTL is set on the first events and refreshed at the end; in between it is far away.
      if (final || event.type === 'JOB_EVENT_TYPE_STARTED') write.expire(key, this.ttlSeconds);
    }
    return write.exec().then(
      () => undefined,
      (error) => this.log.warn({ events: batch.length, err: errorMessage(error) }, 'job events not logged'),
    );
  }

  /** Events after `afterId` ('0' for all), at most `count`. */
  async read(jobId: string, afterId: string, count = 500): Promise<LoggedEvent[]> {
    const entries = await this.redis.xrange(this.key(jobId), `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([id, fields]) => ({ id, event: JSON.parse(fields[1]) as JobEvent }));
  }

  /** Id of the latest event, or '0' when there is none. */
  async lastId(jobId: string): Promise<string> {
    const entries = await this.redis.xrevrange(this.key(jobId), '+', '-', 'COUNT', 1);
    return entries[0]?.[0] ?? '0';
  }
}

/** Stream ids look like "1700000000000-0". */
export const EVENT_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;
