import * as grpc from '@grpc/grpc-js';
import type { Job__Output } from '../generated/quantgrid/v1/Job.js';
import { abortableSleep } from '../abortable-sleep.js';
import type { JobEvent__Output } from '../generated/quantgrid/v1/JobEvent.js';
import { isTerminalStatus, terminalStatusOf } from '../job-status.js';
import { isServiceError } from './coordinator-error.js';
import type { CoordinatorConnection } from './coordinator-connection.js';

/** How a watch copes with a coordinator that goes away. */
export interface WatchPolicy {
  /** Pauses before each re-attach after the stream broke; its length is the number of attempts. */
  reattachDelaysMs: readonly number[];
  /** Silence on the stream after which the coordinator is asked directly (GetJob) whether it is still there. */
  idleProbeMs: number;
}

export const DEFAULT_WATCH_POLICY: WatchPolicy = {
  reattachDelaysMs: [500, 1000, 2000, 4000, 8000],
  idleProbeMs: 15_000,
};

/** What a watch tells its caller as it goes (the CLI's WatchDisplay is one). */
export interface WatchObserver {
  /** Each event as it arrives; snapshot is true for the first event of a fresh (not resumed) stream, the job as it stood. */
  event(event: JobEvent__Output, snapshot: boolean): void;
  /** A line about the watch itself (the stream broke, re-attaching). */
  notice(text: string): void;
}

export interface WatchOptions {
  /** Aborting it stops watching (the job itself is not touched). */
  signal?: AbortSignal;
  policy?: WatchPolicy;
  /** Start after this event (one seen on another coordinator, say) instead of with a snapshot. */
  afterEventId?: string;
}

/** How a watch ended: the job reached an end state, or the signal stopped the watch. */
export type WatchOutcome =
  /** job: the job as it ended, with its whole result, when the coordinator sent it with the ending event; else the caller asks GetJob. */
  | { outcome: 'finished'; status: string; resultJson: string; error: string; job?: Job__Output }
  | { outcome: 'interrupted' };

/** The event stream broke and every re-attach of the policy failed; the job may still be running. */
export class JobWatchLostError extends Error {
  constructor(
    readonly jobId: string,
    readonly attempts: number,
    /** Why the last stream ended, in one line. */
    readonly reason: string,
  ) {
    super(
      `lost the event stream of job ${jobId} (${reason}) and could not re-attach after ${attempts} attempts; ` +
        'the job may still be running on the cluster',
    );
    this.name = 'JobWatchLostError';
  }
}

type AttachEnd =
  | { end: 'terminal'; status: string; resultJson: string; resultTruncated?: boolean; error: string; job?: Job__Output }
  | { end: 'aborted' }
  | { end: 'closed'; lastStatus: string }
  | { end: 'broken'; error: unknown };

/** Stream failures worth re-attaching after: the coordinator restarted, the network dropped. */
const RETRYABLE = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.ABORTED,
  grpc.status.RESOURCE_EXHAUSTED,
]);

function errorCode(error: unknown): grpc.status | undefined {
  if (isServiceError(error)) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/**
 * The job an ending event carries (older coordinators send none), with the event's result fields
 * put back in it: what GetJob would answer, without asking.
 */
function endedJob(event: JobEvent__Output): Job__Output | undefined {
  if (!event.job) return undefined;
  return { ...event.job, resultJson: event.resultJson, resultBytes: event.resultBytes, resultTruncated: event.resultTruncated };
}

/** Follows one WatchJob stream until it ends, breaks, goes silent and dead, or the signal aborts. */
function attachOnce(
  connection: CoordinatorConnection,
  jobId: string,
  observer: WatchObserver,
  signal: AbortSignal,
  policy: WatchPolicy,
  cursor: { lastEventId: string },
): Promise<{ result: AttachEnd; events: number }> {
  return new Promise((resolve) => {
    // After a break, resume after the last event seen: nothing missed, nothing shown twice.
    const resuming = cursor.lastEventId !== '';
    const call = connection.watchJob(jobId, cursor.lastEventId);
    let events = 0;
    let lastStatus = '';
    let settled = false;
    let idleTimer: NodeJS.Timeout | undefined;

    const finish = (result: AttachEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(idleTimer);
      signal.removeEventListener('abort', onAbort);
      call.cancel(); // no-op once the stream has ended
      resolve({ result, events });
    };
    const onAbort = () => finish({ end: 'aborted' });

    // The stream alone cannot tell a quiet job from a coordinator that vanished without closing the
    // connection; after a silence, ask the coordinator directly.
    const armIdleProbe = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        connection.getJob(jobId).then(
          (job) => {
            if (settled) return;
            if (isTerminalStatus(job.status)) {
              finish({ end: 'terminal', status: job.status, resultJson: job.resultJson, resultTruncated: job.resultTruncated, error: job.error, job });
            } else {
              armIdleProbe();
            }
          },
          (error: unknown) => finish({ end: 'broken', error }),
        );
      }, policy.idleProbeMs);
    };

    call.on('data', (event: JobEvent__Output) => {
      if (settled) return;
      events++;
      if (event.eventId) cursor.lastEventId = event.eventId;
      armIdleProbe();
      if (event.status) lastStatus = event.status;
      observer.event(event, events === 1 && !resuming);
      const status = terminalStatusOf(event);
      if (status) finish({ end: 'terminal', status, resultJson: event.resultJson, resultTruncated: event.resultTruncated, error: event.message, job: endedJob(event) });
    });
    call.on('error', (error: unknown) => finish({ end: 'broken', error }));
    call.on('end', () => finish({ end: 'closed', lastStatus }));

    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    armIdleProbe();
  });
}

/**
 * Watches a job until it completes, fails or is cancelled, telling observer each event. When the
 * stream breaks (a coordinator restart), it re-attaches after each of policy.reattachDelaysMs,
 * resuming after the last event seen, and gives up after the last with a JobWatchLostError.
 * Aborting the signal (Ctrl-C) stops watching; the job itself is not touched. Throws a
 * CoordinatorError when the job does not exist or the coordinator refuses the watch.
 */
export async function watchJob(
  connection: CoordinatorConnection,
  jobId: string,
  observer: WatchObserver,
  options: WatchOptions = {},
): Promise<WatchOutcome> {
  const signal = options.signal ?? new AbortController().signal;
  const policy = options.policy ?? DEFAULT_WATCH_POLICY;
  let failures = 0;
  const cursor = { lastEventId: options.afterEventId ?? '' };
  for (;;) {
    const { result, events } = await attachOnce(connection, jobId, observer, signal, policy, cursor);
    let cause: string;
    switch (result.end) {
      case 'aborted':
        return { outcome: 'interrupted' };
      case 'terminal': {
        // A result too large for the COMPLETED event (over 1 MiB) is read with GetJobResult.
        const resultJson = result.resultTruncated ? await connection.getJobResult(jobId) : result.resultJson;
        // The ended job with its whole result, as CoordinatorConnection.getJob gives it.
        const job = result.job && (result.resultTruncated ? { ...result.job, resultJson, resultTruncated: false } : result.job);
        return { outcome: 'finished', status: result.status, resultJson, error: result.error, ...(job ? { job } : {}) };
      }
      case 'closed': {
        if (isTerminalStatus(result.lastStatus)) {
          // The job had already ended (the snapshot said so) and the coordinator closed the stream.
          const job = await connection.getJob(jobId);
          return { outcome: 'finished', status: job.status, resultJson: job.resultJson, error: job.error };
        }
        cause = 'the coordinator closed the stream';
        break;
      }
      case 'broken': {
        const code = errorCode(result.error);
        if (code === undefined || !RETRYABLE.has(code)) throw connection.toError(result.error, jobId);
        const described = connection.toError(result.error, jobId);
        cause = described instanceof Error ? described.message : String(described);
        break;
      }
    }
    if (signal.aborted) return { outcome: 'interrupted' };
    // A stream that delivered more than its snapshot was a working one: the next break starts afresh.
    if (events > 1) failures = 0;
    const attempts = policy.reattachDelaysMs.length;
    if (failures >= attempts) throw new JobWatchLostError(jobId, attempts, cause);
    const delay = policy.reattachDelaysMs[failures++];
    observer.notice(`lost the event stream (${cause}); re-attaching in ${delay / 1000}s (attempt ${failures}/${attempts})`);
    await abortableSleep(delay, signal);
    if (signal.aborted) return { outcome: 'interrupted' };
  }
}
