import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue, parseIntegerIn, parseJobStatus } from '../flag-parsers.js';
import { renderJobsTable } from '../render/jobs-table.js';
import { LIST_JOBS_DEFAULT, LIST_JOBS_MAX } from '../../shared/api-limits.js';
import { commandDescription } from '../command-summaries.js';

async function run(context: CommandContext, flags: { status?: string; limit: string; mine?: boolean }): Promise<number> {
  const status = flags.status === undefined ? 'JOB_STATUS_UNSPECIFIED' : flagValue('--status', flags.status, parseJobStatus);
  const limit = flagValue('--limit', flags.limit, parseIntegerIn(1, LIST_JOBS_MAX));
  const response = await context.connection.listJobs({ status, limit, mine: flags.mine === true });
  if (context.json) context.printJson(response);
  else context.print(renderJobsTable(response.jobs, Date.now()));
  if (response.more && !context.json) context.note(`(the ${response.jobs.length} newest; the coordinator stopped there to keep its answer under 4 MiB: narrow it with --status)`);
  return EXIT.OK;
}

/** `quantgrid jobs`: recent jobs as a table. */
export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description(commandDescription('jobs'))
    .option('--status <status>', 'only jobs in this state: queued, waiting, running, completed, failed, cancelled')
    .option('--limit <n>', `most jobs to list (at most ${LIST_JOBS_MAX})`, String(LIST_JOBS_DEFAULT))
    .option('--mine', 'only my jobs (those of the token\'s user)')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid jobs
  $ quantgrid jobs --status running
  $ quantgrid jobs --mine
  $ quantgrid jobs --status failed --limit 5 --json`,
    )
    .action(commandAction(run));
}
