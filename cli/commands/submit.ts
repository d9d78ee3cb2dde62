import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { registerSubmitAnalysisCommand } from './submit-analysis.js';
import { registerSubmitBacktestCommand } from './submit-backtest.js';
import { registerSubmitNoopCommand } from './submit-noop.js';

/** `quantgrid submit <kind>`: one subcommand per task kind. */
export function registerSubmitCommand(program: Command): void {
  const submit = program
    .command('submit')
    .description('submit a job to the cluster (prints its id, or follows it with --watch)')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10 --watch
  $ quantgrid submit analysis --assets BTCUSDT --timeframes 1h,4h --watch
  $ quantgrid submit noop --partitions 16 --work-ms 200`,
    );
  registerSubmitBacktestCommand(submit);
  registerSubmitAnalysisCommand(submit);
  registerSubmitNoopCommand(submit);
  // Reached only when no kind matched (set last: the kinds do not inherit it).
  submit.allowExcessArguments().action((_options: unknown, command: Command) => {
    const kind = command.args[0];
    const kinds = 'backtest, analysis or noop';
    throw new UsageError(kind === undefined ? `submit needs a job kind: ${kinds}` : `unknown job kind '${kind}' (one of: ${kinds})`);
  });
}
