import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { allCliKinds } from '../kinds/index.js';
import { renderScheduleDetails } from '../render/schedule-table.js';
import { MISSED_POLICIES } from '../../shared/schedules/schedule-rules.js';
import { buildAddScheduleRequest, SCHEDULE_DEFAULTS, type ScheduleAddFlags } from '../schedule-flags.js';

async function run(context: CommandContext, flags: ScheduleAddFlags, args: string[]): Promise<number> {
  const [name, job] = args as unknown as [string, string[] | undefined];
  const request = buildAddScheduleRequest(name, flags, job ?? []);
  const schedule = await context.connection.addSchedule(request);
  if (context.json) context.printJson(schedule);
  else {
    context.print(`added schedule ${schedule.name}`);
    context.print(renderScheduleDetails(schedule, Date.now()));
  }
  return EXIT.OK;
}

/** `quantgrid schedule add NAME --cron … -- <kind> [flags of submit <kind>]`. */
export function registerScheduleAddCommand(schedule: Command): void {
  schedule
    .command('add')
    .description('add a schedule: the job after -- (as for quantgrid submit) is submitted at every occurrence of the cron pattern')
    .argument('<name>', 'the schedule\'s name: 1 to 64 of A-Z a-z 0-9 . _ -')
    .argument('[job...]', 'after --: a job kind and its flags, exactly as for quantgrid submit <kind> (without --watch)')
    .option('--cron <pattern>', '5 fields (minute hour day-of-month month day-of-week) or 6 (a second first); required')
    .option('--tz <zone>', 'IANA time zone the pattern is read in, e.g. Europe/London', SCHEDULE_DEFAULTS.tz)
    .option('--missed <policy>', `when the cluster was down at the scheduled time: ${MISSED_POLICIES.join(' or ')}`, SCHEDULE_DEFAULTS.missed)
    .option('--grace <seconds>', 'with --missed skip: an occurrence starting later than this after its time is skipped', SCHEDULE_DEFAULTS.graceSeconds)
    .addHelpText(
      'after',
      `
Everything after -- is the job, with the flags of quantgrid submit ${allCliKinds().map((cli) => cli.kind.name).join('|')} (see
quantgrid submit <kind> --help); --name names its jobs (default: the schedule's name), --priority
sets their priority. Occurrences are computed in --tz, daylight saving included.

Missed runs: the cluster keeps each schedule's next occurrence in Redis. If no coordinator runs at
that time, the occurrence starts when one is back: --missed run-once (the default) runs it then,
once, however many occurrences were missed; --missed skip drops it when it starts more than --grace
seconds (default 60) late, and the schedule goes on from its next occurrence.

Examples:
  $ quantgrid schedule add nightly --cron "0 2 * * *" --tz Europe/London -- backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10
  $ quantgrid schedule add weekday-scan --cron "30 7 * * 1-5" --tz America/New_York --missed skip -- market-analysis --assets BTCUSDT,ETHUSDT --timeframes 1h,4h
  $ quantgrid schedule add smoke --cron "*/30 * * * * *" -- noop --partitions 4      # every 30 seconds`,
    )
    .action(commandAction(run));
}
