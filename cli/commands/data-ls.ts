import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderDatasetsTable } from '../render/dataset-table.js';

async function run(context: CommandContext): Promise<number> {
  const response = await context.connection.listDatasets();
  if (context.json) context.printJson(response);
  else context.print(response.datasets.length === 0 ? 'no datasets (quantgrid data import FILE --symbol S --timeframe TF)' : renderDatasetsTable(response.datasets));
  return EXIT.OK;
}

/** `quantgrid data ls`: the stored datasets. */
export function registerDataLsCommand(data: Command): void {
  data
    .command('ls')
    .description('list stored datasets: id, symbol, timeframe, bars, first and last bar, size, import time')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid data ls
  $ quantgrid data ls --json`,
    )
    .action(commandAction(run));
}
