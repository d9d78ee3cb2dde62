import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { registerDataImportCommand } from './data-import.js';
import { registerDataLsCommand } from './data-ls.js';

/** `quantgrid data <import|ls>`: market data stored in the coordinator, by content. */
export function registerDataCommand(program: Command): void {
  const data = program
    .command('data')
    .description('market data stored in the cluster: import OHLCV files, list datasets')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid data import BTCUSDT-1h.csv --symbol BTCUSDT --timeframe 1h
  $ quantgrid data ls`,
    );
  registerDataImportCommand(data);
  registerDataLsCommand(data);
  data.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? 'data needs a subcommand: import or ls' : `unknown data subcommand '${name}' (one of: import, ls)`);
  });
}
