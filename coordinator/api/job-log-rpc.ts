import { ValidationError } from '../../shared/errors.js';
import { abortableSleep } from '../../shared/abortable-sleep.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { GetJobLogRequest__Output } from '../../shared/generated/quantgrid/v1/GetJobLogRequest.js';
import type { JobLogLine } from '../../shared/generated/quantgrid/v1/JobLogLine.js';
import { JOB_LOG_LINE_ID_PATTERN, MAX_JOB_LOG_LINES } from '../../shared/job-log-limits.js';
import { isTerminalStatus } from '../../shared/job-status.js';
import type { Logger } from '../../shared/logging.js';
import { quoteInput } from '../../shared/quote-input.js';
import type { JobLog } from '../jobs/job-log.js';
import { JOB_STORE } from './dependency-failure.js';
import type { JobViews } from './job-views.js';
import { requiredId } from './request-fields.js';
import { serverStream } from './rpc-handlers.js';

/** Lines read from Redis per round trip. */
const PAGE = 500;
/** How often a follower looks for new lines, and every how many empty looks it checks whether the job has ended. */
export const FOLLOW_POLL_MS = 200;
const STATUS_CHECK_EVERY = 5;

/**
 * The lines of a job's log from after_id on: those logged so far (at most limit), or with follow
 * new ones as they come until the job has ended. Throws ValidationError / NotFound before any line.
 */
export async function* jobLogLines(log: Pick<JobLog, 'read'>, jobs: Pick<JobViews, 'get'>, request: GetJobLogRequest__Output, stopped: AbortSignal, pollMs = FOLLOW_POLL_MS): AsyncGenerator<JobLogLine> {
  const jobId = requiredId('job_id', request.jobId);
  if (request.afterId !== '' && !JOB_LOG_LINE_ID_PATTERN.test(request.afterId)) {
    throw new ValidationError('after_id', `${quoteInput(request.afterId)} is not a line id of this job`);
  }
  if (request.limit > MAX_JOB_LOG_LINES) throw new ValidationError('limit', `at most ${MAX_JOB_LOG_LINES} (a log keeps no more), or 0 for all`);
  await jobs.get(jobId);
  let cursor = request.afterId || '0';
  let left = request.limit > 0 ? request.limit : Infinity;
  let quiet = 0;
  // Once the job is seen ended, one more look picks up lines its coordinator wrote just before.
  let endedSeen = false;
  while (!stopped.aborted && left > 0) {
    const lines = await log.read(jobId, cursor, Math.min(PAGE, left));
    for (const line of lines) {
      cursor = line.id;
      left -= 1;
      yield line;
    }
    if (lines.length > 0) {
      quiet = 0;
      continue;
    }
    if (!request.follow || endedSeen) return;
    if (quiet++ % STATUS_CHECK_EVERY === 0 && isTerminalStatus((await jobs.get(jobId)).status)) endedSeen = true;
    await abortableSleep(pollMs, stopped);
  }
}

/** GetJobLog (viewer): NOT_FOUND, INVALID_ARGUMENT or UNAVAILABLE at once; else the lines. */
export function createGetJobLog(log: JobLog, jobs: JobViews, logger: Logger): CoordinatorHandlers['GetJobLog'] {
  return serverStream({ rpc: 'GetJobLog', log: logger, dependency: JOB_STORE }, (request, stopped) => jobLogLines(log, jobs, request, stopped));
}
