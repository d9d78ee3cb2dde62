import type { Redis } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import type { JobLogLine } from '../../shared/generated/quantgrid/v1/JobLogLine.js';
import { MAX_JOB_LOG_LINES, truncateUtf8 } from '../../shared/job-log-limits.js';
import type { Logger } from '../../shared/logging.js';
import { GroupCommit } from '../redis/group-commit.js';

export type JobLogLevel = 'info' | 'warn' | 'error';

/** A line to append: about the job (partition -1), or about one attempt of a partition (node, attempt). */
export interface JobLogEntry {
  jobId: string;
  level: JobLogLevel;
  source: 'coordinator' | 'partition';
  message: string;
  partition?: number;
  nodeId?: string;
  attempt?: number;
  detail?: string;
}

/** A line as read back, with its id (a Redis stream id, ordered). */
export type StoredLogLine = Required<Pick<JobLogLine, 'id' | 'timeMs' | 'level' | 'source' | 'message' | 'partition' | 'nodeId' | 'attempt' | 'detail'>>;

/** The bounded, stored form of an entry (what goes into Redis): message and detail cut to MAX_LOG_LINE_BYTES. */
export function storedLine(entry: JobLogEntry, timeMs: number): Omit<StoredLogLine, 'id'> {
  return {
    timeMs,
    level: entry.level,
    source: entry.source,
    message: truncateUtf8(entry.message),
    partition: entry.partition ?? -1,
    nodeId: entry.nodeId ?? '',
    attempt: entry.attempt ?? 0,
    detail: entry.detail ? truncateUtf8(entry.detail) : '',
  };
}

/**
 * Every job's log, in a Redis stream ({prefix}:job:{id}:log) beside its events, written by whichever
 * coordinator runs the job and read by any (GetJobLog). Bounded: the latest MAX_JOB_LOG_LINES lines,
 * each part at most MAX_LOG_LINE_BYTES; it expires with the job's record (the retention time,
 * refreshed on each write). Written by group commit: a job logging a burst costs a round trip per
 * batch, never a wait for the job.
 */
export class JobLog {
  private pending: Array<{ jobId: string; line: Omit<StoredLogLine, 'id'> }> = [];
  private readonly commit = new GroupCommit(() => this.writePending());

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
    private readonly log: Logger,
    /** Serves readers; should fail fast (maxRetriesPerRequest 1). */
    private readonly reader: Redis = redis,
  ) {}

  private key(jobId: string): string {
    return `${this.prefix}:job:${jobId}:log`;
  }

  /** Appends a line (fire and forget: a lost log line must not stop a job). */
  append(entry: JobLogEntry): void {
    this.pending.push({ jobId: entry.jobId, line: storedLine(entry, Date.now()) });
    void this.commit.request();
  }

  /** Resolves once Redis has every line appended before the call (never rejects). */
  flush(): Promise<void> {
    return this.commit.request();
  }

  private async writePending(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    const write = this.redis.pipeline();
    const keys = new Set<string>();
    for (const { jobId, line } of batch) {
      const key = this.key(jobId);
      keys.add(key);
      write.xadd(key, 'MAXLEN', MAX_JOB_LOG_LINES, '*', 'l', JSON.stringify(line));
    }
    for (const key of keys) write.expire(key, this.ttlSeconds);
    try {
      await write.exec();
    } catch (error) {
      this.log.warn({ lines: batch.length, err: errorMessage(error) }, 'job log lines not written');
    }
  }

  /** Lines after `afterId` ('0' for all kept), at most `count`. */
  async read(jobId: string, afterId: string, count: number): Promise<StoredLogLine[]> {
    const entries = await this.reader.xrange(this.key(jobId), afterId === '0' ? '-' : `(${afterId}`, '+', 'COUNT', count);
    return entries.map(([id, fields]) => ({ id, ...(JSON.parse(fields[1]) as Omit<StoredLogLine, 'id'>) }));
  }
}
