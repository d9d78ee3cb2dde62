import type { Command } from 'commander';
import { isTerminalStatus } from '../../shared/job-status.js';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { statusName } from '../render/format.js';
import { commandDescription } from '../command-summaries.js';

async function run(context: CommandContext, _flags: unknown, [jobId]: string[]): Promise<number> {
  const job = await context.connection.cancelJob(jobId);
  if (context.json) context.printJson(job);
  else if (job.status === 'JOB_STATUS_CANCELLED') context.print(`cancelled job ${job.id || jobId}`);
  else if (isTerminalStatus(job.status)) context.print(`job ${job.id || jobId} had already ended: ${statusName(job.status)}`);
  else context.print(`asked to cancel job ${job.id || jobId} (now ${statusName(job.status)})`);
  return EXIT.OK;
}

/** `quantgrid cancel ID`. */
export function registerCancelCommand(program: Command): void {
  program
    .command('cancel')
    .description(commandDescription('cancel'))
    .argument('<id>', 'job id')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid cancel 4f1c2a
  $ quantgrid cancel 4f1c2a --json | jq -r .status`,
    )
    .action(commandAction(run));
}
