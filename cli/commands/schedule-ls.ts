import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderSchedulesTable } from '../render/schedule-table.js';

async function run(context: CommandContext): Promise<number> {
  const response = await context.connection.listSchedules();
  if (context.json) context.printJson(response);
  else context.print(renderSchedulesTable(response.schedules, Date.now()));
  return EXIT.OK;
}

/** `quantgrid schedule ls`. */
export function registerScheduleLsCommand(schedule: Command): void {
  schedule
    .command('ls')
    .description('list schedules: cron and time zone, next run, last run with its outcome and job, missed-run policy, paused or not')
    .addHelpText(
      'after',
      `
Times are shown in each schedule's time zone. The outcome is the last run's job status (queued,
running, completed, failed, cancelled), or skipped (a missed run under --missed skip); "(run-now)"
marks a run asked for with schedule run-now.

Examples:
  $ quantgrid schedule ls
  $ quantgrid schedule ls --json | jq -r '.schedules[] | select(.lastRun.status == "JOB_STATUS_FAILED") | .name'`,
    )
    .action(commandAction(run));
}
