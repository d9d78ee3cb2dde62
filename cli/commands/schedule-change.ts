import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { flagValue } from '../flag-parsers.js';
import { followJob } from '../follow-job.js';
import { formatInZone } from '../render/schedule-table.js';
import { parseScheduleName } from '../schedule-flags.js';

type Change = 'remove' | 'pause' | 'resume';

function change(action: Change, done: string) {
  return async (context: CommandContext, _flags: unknown, [name]: string[]): Promise<number> => {
    const schedule = await context.connection.changeSchedule(action, flagValue('NAME', name, parseScheduleName));
    if (context.json) context.printJson(schedule);
    else {
      const next = action === 'resume' && schedule.nextRunMs > 0 ? `; next run ${formatInZone(schedule.nextRunMs, schedule.tz)} ${schedule.tz}` : '';
      context.print(`${done} schedule ${schedule.name}${next}`);
    }
    return EXIT.OK;
  };
}

async function runNow(context: CommandContext, flags: { watch?: boolean }, [name]: string[]): Promise<number> {
  const response = await context.connection.runScheduleNow(flagValue('NAME', name, parseScheduleName));
  const jobId = response.jobId;
  if (context.json) {
    if (flags.watch) context.printJsonLine(response);
    else context.printJson(response);
  } else {
    context.print(`submitted job ${jobId} (schedule ${name})`);
    if (!flags.watch) context.print(`follow it with: ${context.reattachCommand(jobId)}`);
  }
  return flags.watch ? followJob(context, jobId) : EXIT.OK;
}

/** `quantgrid schedule rm|pause|resume|run-now NAME`. */
export function registerScheduleChangeCommands(schedule: Command): void {
  schedule
    .command('rm')
    .description('remove a schedule (jobs it already submitted are kept)')
    .argument('<name>', 'schedule name')
    .addHelpText('after', '\nExamples:\n  $ quantgrid schedule rm nightly')
    .action(commandAction(change('remove', 'removed')));
  schedule
    .command('pause')
    .description('stop firing a schedule, keeping its definition (occurrences while paused are not run later)')
    .argument('<name>', 'schedule name')
    .addHelpText('after', '\nExamples:\n  $ quantgrid schedule pause nightly\n  $ quantgrid schedule resume nightly')
    .action(commandAction(change('pause', 'paused')));
  schedule
    .command('resume')
    .description('fire a paused schedule again, from its next occurrence on')
    .argument('<name>', 'schedule name')
    .addHelpText('after', '\nExamples:\n  $ quantgrid schedule resume nightly')
    .action(commandAction(change('resume', 'resumed')));
  schedule
    .command('run-now')
    .description('submit a job from a schedule\'s template now (also when paused); prints its id')
    .argument('<name>', 'schedule name')
    .option('--watch', 'follow the job until it ends and print its result (exit 0 only if it completed)')
    .addHelpText(
      'after',
      `
The job is a normal job (quantgrid jobs, quantgrid job ID) recording the schedule's name; it becomes
the schedule's last run. The schedule's own timing does not change.

Examples:
  $ quantgrid schedule run-now nightly
  $ quantgrid schedule run-now nightly --watch
  $ quantgrid --json schedule run-now nightly | jq -r .jobId`,
    )
    .action(commandAction(runNow));
}
