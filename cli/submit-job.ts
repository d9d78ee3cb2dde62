import { randomUUID } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { SubmitJobResponse__Output } from '../shared/generated/quantgrid/v1/SubmitJobResponse.js';
import { EXIT } from './cli-error.js';
import type { CommandContext } from './command-context.js';
import { followJob } from './follow-job.js';

/** Flags every `submit <kind>` takes. */
export function addSubmitOptions(command: Command): Command {
  return command
    .option('--name <name>', 'a name to recognise the job by in `quantgrid jobs`')
    .option('--priority <n>', 'higher runs first (integer, default 0)')
    .option('--max-partitions <n>', 'most partitions the planner may split the job into (0 = it decides)')
    .option('--deadline <duration>', 'fail the job (and stop its partitions) if it has not finished this long after submission, e.g. 30m, 2h')
    .option('--no-cache', 'recompute every partition instead of reusing results of identical earlier jobs')
    .option('--full', 'run every unit from its first bar: a backtest or a market analysis on a stored dataset otherwise continues from the checkpoints of an identical earlier job on a dataset this one extends (see `data append`); implies --no-cache')
    .option('--request-id <key>', 'idempotency key: submitting the same key again returns the same job (default: a fresh one per call)')
    .option('--watch', 'follow the job until it ends and print its result (exit 0 only if it completed)');
}

/** A fresh idempotency key for each submit. */
export function newRequestId(): string {
  return randomUUID();
}

/**
 * Submission is idempotent (the request carries a request id), so a submit whose answer was lost
 * (coordinator restarting, a dropped connection) is safely sent again.
 */
const SUBMIT_RETRY_DELAYS_MS = [500, 1000, 2000];
const RETRYABLE_SUBMIT = new Set<grpc.status>([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);

async function submitWithRetries(context: CommandContext, request: SubmitJobRequest): Promise<SubmitJobResponse__Output> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await context.connection.submitJob(request);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (attempt >= SUBMIT_RETRY_DELAYS_MS.length || typeof code !== 'number' || !RETRYABLE_SUBMIT.has(code)) throw error;
      await new Promise((resolve) => setTimeout(resolve, SUBMIT_RETRY_DELAYS_MS[attempt]));
    }
  }
}

/** Sends the request; prints the job id (or the response as JSON), or follows the job with --watch. */
export async function submitJob(context: CommandContext, request: SubmitJobRequest, watch: boolean): Promise<number> {
  const response = await submitWithRetries(context, request);
  const jobId = response.jobId || response.job?.id || '';
  if (context.json) {
    if (watch) context.printJsonLine(response);
    else context.printJson(response);
  } else if (watch) {
    context.print(`submitted job ${jobId}`);
  } else {
    context.print(`submitted job ${jobId}`);
    context.print(`follow it with: ${context.reattachCommand(jobId)}`);
  }
  return watch ? followJob(context, jobId) : EXIT.OK;
}
