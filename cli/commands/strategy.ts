import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { registerStrategyLsCommand } from './strategy-ls.js';
import { registerStrategyPushCommand } from './strategy-push.js';
import { registerStrategyRmCommand } from './strategy-rm.js';
import { registerStrategyShowCommand } from './strategy-show.js';
import { commandDescription } from '../command-summaries.js';

/** `quantgrid strategy <push|ls|show|rm>`: users' own strategies (docs/strategies.md). */
export function registerStrategyCommand(program: Command): void {
  const strategy = program
    .command('strategy')
    .description(commandDescription('strategy'))
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid strategy push examples/strategies/triple-ma.ts
  $ quantgrid strategy ls
  $ quantgrid strategy show triple-ma
  $ quantgrid submit backtest --strategy triple-ma --symbols BTCUSDT --param trend=100:300:100 --watch`,
    );
  registerStrategyPushCommand(strategy);
  registerStrategyLsCommand(strategy);
  registerStrategyShowCommand(strategy);
  registerStrategyRmCommand(strategy);
  strategy.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? 'strategy needs a subcommand: push, ls, show or rm' : `unknown strategy subcommand '${name}' (one of: push, ls, show, rm)`);
  });
}
