import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderStrategiesTable } from '../render/strategy-table.js';

async function run(context: CommandContext, _flags: unknown, args: string[]): Promise<number> {
  const response = await context.connection.listStrategies(args[0] ?? '');
  if (context.json) context.printJson(response);
  else context.print(response.strategies.length === 0 ? 'no strategies (quantgrid strategy push FILE)' : renderStrategiesTable(response.strategies));
  return EXIT.OK;
}

/** `quantgrid strategy ls [NAME]`: pushed strategies. */
export function registerStrategyLsCommand(strategy: Command): void {
  strategy
    .command('ls')
    .description('list pushed strategies: the latest version of each, or every version of NAME')
    .argument('[name]', 'a strategy name: list all its versions')
    .addHelpText('after', '\nExamples:\n  $ quantgrid strategy ls\n  $ quantgrid strategy ls triple-ma --json')
    .action(commandAction(run));
}
