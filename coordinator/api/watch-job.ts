import { setTimeout as sleep } from 'node:timers/promises';
import { ValidationError } from '../../shared/errors.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { JobEvent } from '../../shared/generated/quantgrid/v1/JobEvent.js';
import type { Logger } from '../../shared/logging.js';
import type { WatchJobRequest__Output } from '../../shared/generated/quantgrid/v1/WatchJobRequest.js';
import { quoteInput } from '../../shared/quote-input.js';
import { EVENT_ID_PATTERN, JobEventLog, type WrittenEvents } from '../jobs/job-event-log.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import { JOB_STORE } from './dependency-failure.js';
import type { JobView, JobViews } from './job-views.js';
import { requiredId } from './request-fields.js';
import { serverStream } from './rpc-handlers.js';
import { inlineResult } from './inline-result.js';

/** How often a watch looks for new events in the job's log, and every how many empty looks it checks the job itself. */
const WATCH_POLL_MS = 150;
export const WATCH_STATUS_CHECK_EVERY = 10;
/** The most events one read of a paced watch takes; a full read is followed by the next at once (the watch is behind). */
const PACED_READ_COUNT = 1000;

function isTerminal(status: JobEvent['status']): boolean {
  return status !== undefined && isTerminalStatus(String(status));
}

/** The event that ends a watch of a job seen ended in its record rather than in its log. */
function terminalEvent(job: JobView, eventId: string): JobEvent {
  return {
    job: withoutResult(job),
    jobId: job.id,
    type:
      job.status === 'JOB_STATUS_COMPLETED' ? 'JOB_EVENT_TYPE_COMPLETED'
      : job.status === 'JOB_STATUS_CANCELLED' ? 'JOB_EVENT_TYPE_CANCELLED'
      : 'JOB_EVENT_TYPE_FAILED',
    timeMs: Date.now(),
    partition: -1,
    status: job.status,
    progress: job.progress,
    resultJson: job.resultJson,
    resultBytes: job.resultBytes,
    resultTruncated: job.resultTruncated,
    message: job.error,
    eventId,
  };
}

/** A job as a terminal event carries it: its result is in the event's own fields. */
function withoutResult(job: JobView): JobView {
  return { ...job, resultJson: '', resultBytes: 0, resultTruncated: false };
}

/**
 * A terminal event read from the log, completed with the job as it ended (one read of its record,
 * which also gives a COMPLETED its result): the watcher needs no GetJob after it.
 */
async function endingEvent(jobs: WatchedJobs, event: JobEvent, eventId: string): Promise<JobEvent> {
  const status = String(event.status) as 'JOB_STATUS_COMPLETED' | 'JOB_STATUS_FAILED' | 'JOB_STATUS_CANCELLED';
  const ended = await jobs.ended(String(event.jobId), status);
  const completed = event.type === 'JOB_EVENT_TYPE_COMPLETED';
  return {
    ...event,
    eventId,
    // The log holds no results (the job record does): a COMPLETED event gets it here, inline when small.
    ...(completed ? inlineResult(ended?.resultJson ?? '') : {}),
    ...(ended ? { job: withoutResult(ended.job) } : {}),
  };
}

/** What a watch reads of the job's event log. */
export type WatchedLog = Pick<JobEventLog, 'lastId' | 'read' | 'writeMark' | 'waitForEvents' | 'watching'>;
/** What a watch reads of the job's record. */
export type WatchedJobs = Pick<JobViews, 'get' | 'ended'>;

/**
 * The events of a watch: a snapshot of the job (unless resuming after an event id), then its events
 * from its log until the one that ends it. Throws ValidationError for a missing job_id or an
 * after_event_id that is no event id, and NotFound for an unknown job, before any event. Stops when `stopped` aborts.
 *
 * paceMs > 0 (a dashboard page, which needs no event sooner than a screen can show it): after a
 * read that found events, the next read waits until paceMs after the last one began, so that a
 * running job's events arrive in a few large reads a second rather than one small read per write
 * of this coordinator (each read a Redis round trip and a write to the client). 0: woken at once.
 */
export async function* watchEvents(hub: WatchedLog, jobs: WatchedJobs, request: WatchJobRequest__Output, stopped: AbortSignal, paceMs = 0): AsyncGenerator<JobEvent> {
  const jobId = requiredId('job_id', request.jobId);
  const afterEventId = request.afterEventId;
  if (afterEventId !== '' && !EVENT_ID_PATTERN.test(afterEventId)) {
    throw new ValidationError('after_event_id', `${quoteInput(afterEventId)} is not an event id of this job`);
  }
  let cursor = afterEventId;
  if (cursor === '') {
    // Where the log stands first, the snapshot second: an event logged in between is then both in
    // the snapshot and read again after the cursor (harmless), never in neither. In the other order
    // a COMPLETED logged between the two was missed until the periodic status check, polls later.
    cursor = await hub.lastId(jobId);
    const job = await jobs.get(jobId);
    if (isTerminal(job.status)) {
      yield terminalEvent(job, cursor);
      return;
    }
    yield { jobId, type: 'JOB_EVENT_TYPE_PROGRESS', timeMs: Date.now(), partition: -1, status: job.status, progress: job.progress };
  } else {
    await jobs.get(jobId);
  }
  // Tail the job's event log from the cursor; any coordinator may be the one writing it.
  const count = paceMs > 0 ? PACED_READ_COUNT : JobEventLog.READ_COUNT;
  let quiet = 0;
  /** What the write that woke the watch logged, when it said (unpaced watches take it instead of reading). */
  let written: WrittenEvents | undefined;
  const unwatch = paceMs === 0 ? hub.watching(jobId) : undefined;
  try {
    while (!stopped.aborted) {
      // Events a write of this coordinator logged right after the cursor need no read: the write's
      // mark then stands for the read's.
      const taken = paceMs === 0 && written?.after === cursor ? written : undefined;
      written = undefined;
      const mark = taken?.mark ?? hub.writeMark();
      const readAt = performance.now();
      const events = taken?.events ?? (await hub.read(jobId, cursor, count));
      for (const { id, event } of events) {
        cursor = id;
        if (isTerminal(event.status)) {
          yield await endingEvent(jobs, event, id);
          return;
        }
        yield { ...event, eventId: id };
      }
      if (events.length > 0) {
        quiet = 0;
        // A full read: the watch is behind, so it reads on at once.
        if (events.length === count) continue;
        if (paceMs > 0) {
          const wait = readAt + paceMs - performance.now();
          if (wait > 0) await sleep(wait, undefined, { signal: stopped }).catch(() => undefined);
          continue;
        }
        // A read that took fewer than it could found the log's end: like an empty one, it waits for
        // the next write (below) instead of reading again at once, which would find nothing.
      } else if (++quiet % WATCH_STATUS_CHECK_EVERY === 0) {
        // A job whose end never reached the log (it expired, or the ending coordinator died first).
        const now = await jobs.get(jobId);
        if (isTerminal(now.status) && (await hub.read(jobId, cursor, 1)).length === 0) {
          yield terminalEvent(now, cursor);
          return;
        }
      }
      // Woken at once by this coordinator's own writes; another coordinator's show up within a poll.
      written = await hub.waitForEvents(jobId, mark, WATCH_POLL_MS);
    }
  } finally {
    unwatch?.();
  }
}

/** WatchJob: NOT_FOUND, INVALID_ARGUMENT or UNAVAILABLE at once; else the events until the job's end. */
export function createWatchJob(hub: JobEventLog, jobs: JobViews, log: Logger): CoordinatorHandlers['WatchJob'] {
  return serverStream({ rpc: 'WatchJob', log, dependency: JOB_STORE }, (request, stopped) => watchEvents(hub, jobs, request, stopped));
}
