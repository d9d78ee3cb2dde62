import { DEFAULT_WATCH_POLICY, watchJob, type WatchPolicy } from '../shared/client/job-watcher.js';
import type { Job__Output } from '../shared/generated/quantgrid/v1/Job.js';
import { CliError, EXIT } from './cli-error.js';
import type { CommandContext } from './command-context.js';
import { formatDuration, jobDurationMs, statusName } from './render/format.js';
import { parseResultJson, renderResult } from './render/result-tables.js';
import { JsonWatchDisplay, LineWatchDisplay, TtyWatchDisplay, type WatchDisplay } from './render/watch-display.js';

/** A job as --json prints it: the Job message as decoded, plus `result`, its result_json parsed. */
export function jobForJson(job: Job__Output): Job__Output & { result: unknown } {
  return { ...job, result: parseResultJson(job.resultJson) };
}

/**
 * Prints how a finished job ended and returns the exit code: on COMPLETED its result (tables, or the
 * job as JSON) and 0; on FAILED or CANCELLED the job as JSON if asked, then throws a CliError with the reason (exit 1).
 */
export function reportFinishedJob(context: CommandContext, job: Job__Output): number {
  if (context.json) {
    context.printJsonLine(jobForJson(job));
  } else if (job.status === 'JOB_STATUS_COMPLETED') {
    const duration = jobDurationMs(job, Date.now());
    context.print(`job ${job.id} completed${Number.isFinite(duration) ? ` in ${formatDuration(duration)}` : ''}`);
    context.print(renderResult(parseResultJson(job.resultJson), job.kind));
  }
  switch (job.status) {
    case 'JOB_STATUS_COMPLETED':
      return EXIT.OK;
    case 'JOB_STATUS_FAILED':
      throw new CliError(`job ${job.id} failed: ${job.error || 'no reason given'}`);
    case 'JOB_STATUS_CANCELLED':
      throw new CliError(`job ${job.id} was cancelled${job.error ? `: ${job.error}` : ''}`);
    default:
      throw new CliError(`job ${job.id} ended in an unexpected state: ${statusName(job.status)}`);
  }
}

function chooseDisplay(context: CommandContext, jobId: string): WatchDisplay {
  if (context.json) return new JsonWatchDisplay((line) => context.print(line), (text) => context.note(text));
  if (context.interactive) return new TtyWatchDisplay(process.stdout, jobId);
  return new LineWatchDisplay((line) => context.print(line));
}

/**
 * Watches a job to its end (progress bar on a terminal, lines otherwise, JSON lines with --json),
 * then reports it. Exit codes: 0 COMPLETED, 1 FAILED or CANCELLED (thrown), 130 on Ctrl-C.
 */
export async function followJob(context: CommandContext, jobId: string, policy: WatchPolicy = DEFAULT_WATCH_POLICY): Promise<number> {
  const display = chooseDisplay(context, jobId);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.on('SIGINT', onInterrupt);
  let outcome;
  try {
    outcome = await watchJob(context.connection, jobId, display, { signal: controller.signal, policy });
  } finally {
    display.stop();
    process.removeListener('SIGINT', onInterrupt);
  }
  if (outcome.outcome === 'interrupted') {
    context.note(`stopped watching; job ${jobId} keeps running on the cluster. Re-attach with: ${context.reattachCommand(jobId)}`);
    return EXIT.INTERRUPTED;
  }
  // The finished job with its timings; if the coordinator went away just now, what the stream said.
  const fallback: Job__Output = {
    id: jobId,
    kind: '',
    status: outcome.status as Job__Output['status'],
    spec: null,
    progress: null,
    createdAtMs: 0,
    startedAtMs: 0,
    finishedAtMs: 0,
    resultJson: outcome.resultJson,
    error: outcome.error,
    name: '',
    schedule: '',
    owner: '',
    resultBytes: Buffer.byteLength(outcome.resultJson),
    resultTruncated: false,
  };
  const job = outcome.job ?? (await context.connection.getJob(jobId).catch(() => fallback));
  return reportFinishedJob(context, job.status === fallback.status ? job : fallback);
}
