import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderDatasetsTable } from '../render/dataset-table.js';
import { formatBytes } from '../render/format.js';

async function run(context: CommandContext): Promise<number> {
  const response = await context.connection.listDatasets();
  if (context.json) context.printJson(response);
  else if (response.datasets.length === 0) context.print('no datasets (quantgrid data import FILE --symbol S --timeframe TF)');
  else {
    context.print(renderDatasetsTable(response.datasets));
    const budget = Number(response.budgetBytes) > 0 ? ` of a ${formatBytes(Number(response.budgetBytes))} budget` : '';
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    context.print(`\n${plural(response.datasets.length, 'version')}, ${plural(response.tags.length, 'tag')}; ${formatBytes(Number(response.usedBytes))} stored${budget} (versions share their common chunks)`);
  }
  return EXIT.OK;
}

/** `quantgrid data ls`: the stored datasets. */
export function registerDataLsCommand(data: Command): void {
  data
    .command('ls')
    .description('list stored datasets: each version\'s id, tags, symbol, timeframe, bars, first and last bar, size, import time and lineage (the version it extends)')
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid data ls
  $ quantgrid data ls --json`,
    )
    .action(commandAction(run));
}
