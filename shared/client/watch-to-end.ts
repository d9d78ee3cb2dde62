import type { Job__Output } from '../generated/quantgrid/v1/Job.js';
import type { JobEvent__Output } from '../generated/quantgrid/v1/JobEvent.js';
import type { CoordinatorConnection } from './coordinator-connection.js';
import { watchJob, type WatchPolicy } from './job-watcher.js';

export interface WatchToEndOptions {
  /** Fail with a JobWatchTimeoutError if the job has not ended by then; default: no limit. */
  timeoutMs?: number;
  /** Called with each event as it arrives. */
  onEvent?: (event: JobEvent__Output) => void;
  /** Keeps only the events this accepts (default: all); a 100,000-partition job sends a few hundred thousand. */
  keep?: (event: JobEvent__Output) => boolean;
  /** Start after this event (one seen on another coordinator) instead of with a snapshot. */
  afterEventId?: string;
  /** Re-attach policy of the watch (job-watcher.ts); default DEFAULT_WATCH_POLICY. */
  policy?: WatchPolicy;
  /** Called with each line about the watch itself (re-attaching). */
  onNotice?: (text: string) => void;
  /** Aborting it rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WatchedJob {
  /** The job record once it had ended: sent with the ending event, or read with GetJob after it (an older coordinator, a job seen ended by the idle probe). */
  job: Job__Output;
  /** The events seen (only those `keep` accepted), in order. */
  events: JobEvent__Output[];
  /** How many events were seen, kept or not. */
  eventCount: number;
}

/** A watch that outlasted its timeoutMs. */
export class JobWatchTimeoutError extends Error {
  constructor(
    readonly jobId: string,
    readonly timeoutMs: number,
    readonly eventCount: number,
    readonly lastEvent: JobEvent__Output | undefined,
  ) {
    super(`job ${jobId} did not end within ${timeoutMs} ms (${eventCount} events seen); last event: ${JSON.stringify(lastEvent)}`);
    this.name = 'JobWatchTimeoutError';
  }
}

/**
 * Watches a job to its end (job-watcher.ts: re-attaching after a broken stream) and returns the final
 * job and the events seen. Rejects like watchJob, on timeout and when the signal aborts.
 */
export async function watchToEnd(connection: CoordinatorConnection, jobId: string, options: WatchToEndOptions = {}): Promise<WatchedJob> {
  const { timeoutMs, onEvent, keep, signal } = options;
  const events: JobEvent__Output[] = [];
  let eventCount = 0;
  let lastEvent: JobEvent__Output | undefined;
  const observer = {
    event: (event: JobEvent__Output) => {
      eventCount++;
      lastEvent = event;
      onEvent?.(event);
      if (!keep || keep(event)) events.push(event);
    },
    notice: (text: string) => options.onNotice?.(text),
  };

  const stop = new AbortController();
  const timer = timeoutMs === undefined ? undefined : setTimeout(() => stop.abort(), timeoutMs);
  const onAbort = () => stop.abort();
  if (signal?.aborted) stop.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  let outcome;
  try {
    outcome = await watchJob(connection, jobId, observer, { signal: stop.signal, policy: options.policy, afterEventId: options.afterEventId });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (outcome.outcome === 'interrupted') {
    if (signal?.aborted) throw signal.reason;
    throw new JobWatchTimeoutError(jobId, timeoutMs ?? 0, eventCount, lastEvent);
  }
  return { job: outcome.job ?? (await connection.getJob(jobId)), events, eventCount };
}
