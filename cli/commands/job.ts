import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { followJob, jobForJson, reportFinishedJob } from '../follow-job.js';
import { isTerminalStatus } from '../render/format.js';
import { renderJobDetails } from '../render/job-tables.js';
import { parseResultJson, renderResult } from '../render/result-tables.js';

async function run(context: CommandContext, flags: { watch?: boolean }, [jobId]: string[]): Promise<number> {
  const job = await context.connection.getJob(jobId);
  if (flags.watch) {
    if (!context.json) context.print(renderJobDetails(job, Date.now()));
    return isTerminalStatus(job.status) ? reportFinishedJob(context, job) : followJob(context, jobId);
  }
  if (context.json) {
    context.printJson(jobForJson(job));
    return EXIT.OK;
  }
  context.print(renderJobDetails(job, Date.now()));
  if (job.resultJson) context.print(renderResult(parseResultJson(job.resultJson)));
  return EXIT.OK;
}

/** `quantgrid job ID`: one job's state and result; --watch follows it live. */
export function registerJobCommand(program: Command): void {
  program
    .command('job')
    .description('show a job: status, progress, error and its result as tables')
    .argument('<id>', 'job id (as printed by submit and listed by `quantgrid jobs`)')
    .option('--watch', 'follow the job live until it ends (exit 0 only if it completed, 1 if it failed or was cancelled)')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid job 4f1c2a
  $ quantgrid job 4f1c2a --watch          # re-attach to a running job; Ctrl-C stops watching, not the job
  $ quantgrid job 4f1c2a --json | jq .result.top`,
    )
    .action(commandAction(run));
}
