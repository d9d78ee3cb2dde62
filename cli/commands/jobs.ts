import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue, parseIntegerIn, parseJobStatus } from '../flag-parsers.js';
import { renderJobsTable } from '../render/job-tables.js';

const DEFAULT_LIMIT = '50';

async function run(context: CommandContext, flags: { status?: string; limit: string }): Promise<number> {
  const status = flags.status === undefined ? 'JOB_STATUS_UNSPECIFIED' : flagValue('--status', flags.status, parseJobStatus);
  const limit = flagValue('--limit', flags.limit, parseIntegerIn(1, 100_000));
  const response = await context.connection.listJobs({ status, limit });
  if (context.json) context.printJson(response);
  else context.print(renderJobsTable(response.jobs, Date.now()));
  if (response.more && !context.json) context.note(`(the ${response.jobs.length} newest; the coordinator stopped there to keep its answer under 4 MiB: narrow it with --status)`);
  return EXIT.OK;
}

/** `quantgrid jobs`: recent jobs as a table. */
export function registerJobsCommand(program: Command): void {
  program
    .command('jobs')
    .description('list recent jobs: id, kind, status, progress, age, duration')
    .option('--status <status>', 'only jobs in this state: queued, waiting, running, completed, failed, cancelled')
    .option('--limit <n>', 'most jobs to list', DEFAULT_LIMIT)
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid jobs
  $ quantgrid jobs --status running
  $ quantgrid jobs --status failed --limit 5 --json`,
    )
    .action(commandAction(run));
}
