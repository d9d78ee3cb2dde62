import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { EXIT } from './cli-error.js';
import type { CommandContext } from './command-context.js';
import { followJob } from './follow-job.js';

/** Flags every `submit <kind>` takes. */
export function addSubmitOptions(command: Command): Command {
  return command
    .option('--name <name>', 'a name to recognise the job by in `quantgrid jobs`')
    .option('--priority <n>', 'higher runs first (integer, default 0)')
    .option('--max-partitions <n>', 'most partitions the planner may split the job into (0 = it decides)')
    .option('--watch', 'follow the job until it ends and print its result (exit 0 only if it completed)');
}

/** A fresh idempotency key for each submit. */
export function newRequestId(): string {
  return randomUUID();
}

/** Sends the request; prints the job id (or the response as JSON), or follows the job with --watch. */
export async function submitJob(context: CommandContext, request: SubmitJobRequest, watch: boolean): Promise<number> {
  const response = await context.connection.submitJob(request);
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
