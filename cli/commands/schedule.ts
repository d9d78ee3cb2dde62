import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { registerScheduleAddCommand } from './schedule-add.js';
import { registerScheduleChangeCommands } from './schedule-change.js';
import { registerScheduleLsCommand } from './schedule-ls.js';
import { commandDescription } from '../command-summaries.js';

const SUBCOMMANDS = 'add, ls, rm, pause, resume, run-now';

/** `quantgrid schedule …`: jobs submitted on a cron by the cluster itself. */
export function registerScheduleCommand(program: Command): void {
  const schedule = program
    .command('schedule')
    .description(commandDescription('schedule'))
    .addHelpText(
      'after',
      `
A schedule keeps a job template (the flags of quantgrid submit <kind>) and a cron pattern in a time
zone. Any coordinator fires an occurrence, and each fires once however many coordinators run. When
the cluster was down at the scheduled time, one catch-up run starts when it is back (--missed
run-once, the default), or the missed run is skipped (--missed skip).

Examples:
  $ quantgrid schedule add nightly --cron "0 2 * * *" --tz Europe/London -- backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10
  $ quantgrid schedule ls
  $ quantgrid schedule run-now nightly --watch
  $ quantgrid schedule pause nightly
  $ quantgrid schedule resume nightly
  $ quantgrid schedule rm nightly`,
    );
  registerScheduleAddCommand(schedule);
  registerScheduleLsCommand(schedule);
  registerScheduleChangeCommands(schedule);
  // Reached only when no subcommand matched (set last: the subcommands do not inherit it).
  schedule.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? `schedule needs a subcommand: ${SUBCOMMANDS}` : `unknown schedule subcommand '${name}' (one of: ${SUBCOMMANDS})`);
  });
}
