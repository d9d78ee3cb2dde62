import type { Command } from 'commander';
import { UsageError } from '../cli-error.js';
import { registerDataAppendCommand } from './data-append.js';
import { registerDataImportCommand } from './data-import.js';
import { registerDataLsCommand } from './data-ls.js';
import { registerDataRmCommand } from './data-rm.js';
import { registerDataTagCommand } from './data-tag.js';
import { commandDescription } from '../command-summaries.js';

const SUBCOMMANDS = 'import, append, tag, ls, rm';

/** `quantgrid data <import|append|tag|ls|rm>`: market data stored in the coordinator, by content, in versions. */
export function registerDataCommand(program: Command): void {
  const data = program
    .command('data')
    .description(commandDescription('data'))
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid data import BTCUSDT-1h.csv --symbol BTCUSDT --timeframe 1h
  $ quantgrid data tag BTCUSDT-1h sha256:<id>
  $ quantgrid data append BTCUSDT-1h BTCUSDT-1h-today.csv
  $ quantgrid data ls
  $ quantgrid data rm sha256:<id>`,
    );
  registerDataImportCommand(data);
  registerDataAppendCommand(data);
  registerDataTagCommand(data);
  registerDataLsCommand(data);
  registerDataRmCommand(data);
  data.allowExcessArguments().action((_options: unknown, command: Command) => {
    const name = command.args[0];
    throw new UsageError(name === undefined ? `data needs a subcommand: ${SUBCOMMANDS}` : `unknown data subcommand '${name}' (one of: ${SUBCOMMANDS})`);
  });
}
