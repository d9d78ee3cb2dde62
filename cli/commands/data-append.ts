import type { Command } from 'commander';
import { EXIT } from '../cli-error.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { openDatasetFile, sendDatasetFile } from '../dataset-file.js';
import { flagValue } from '../flag-parsers.js';
import { renderDatasetDetails } from '../render/dataset-table.js';
import { parseDatasetRef } from '../dataset-ref.js';

async function run(context: CommandContext, flags: { format: string; allowNonPositive?: boolean }, [ref, file]: string[]): Promise<number> {
  const dataset = flagValue('ID|TAG', ref, parseDatasetRef);
  // Only the new bars are sent (AppendDatasetStream), streamed as an import is.
  const opened = await openDatasetFile(file, flags.format);
  const info = await sendDatasetFile(file, opened, (content) =>
    context.connection.appendDatasetStream({ symbol: '', timeframe: '', format: opened.format, totalBytes: opened.size, dataset, allowNonPositive: flags.allowNonPositive === true }, content),
  );
  if (context.json) context.printJson(info);
  else {
    const moved = info.tags.length > 0 ? ` (tag ${info.tags.join(', ')})` : '';
    context.print(`${info.alreadyPresent ? 'already stored' : 'appended'}: sha256:${info.id}${moved}: ${info.appendedBars} bars after sha256:${info.parentId.slice(0, 12)}'s ${info.parentBars}`);
    context.print(renderDatasetDetails(info));
  }
  return EXIT.OK;
}

/** `quantgrid data append ID|TAG FILE`: a new version, the dataset's bars followed by the file's. */
export function registerDataAppendCommand(data: Command): void {
  data
    .command('append')
    .description('append newer bars to a stored dataset: makes a new version (a new id) whose first bars are exactly the old one\'s; on a tag, moves the tag to it')
    .argument('<dataset>', 'the version to extend: its id (sha256:<id> or the bare id) or a tag')
    .argument('<file>', 'the new bars, in the formats of data import (the same symbol and timeframe: they are the dataset\'s)')
    .option('--format <format>', 'auto, header, binance or parquet (auto: Parquet when the file starts with PAR1, else CSV)', 'auto')
    .option('--allow-non-positive', 'accept open, high, low and close of 0 or below, as data import does')
    .addHelpText(
      'after',
      `
The file is checked as an import is (the row at fault, nothing stored), and its first bar must open at
least one timeframe after the dataset's last bar, on its grid. The old version stays as it was; jobs
that named it keep their results. Only the new bars are sent to the coordinator.

Examples:
  $ quantgrid data append BTCUSDT-1h BTCUSDT-1h-2024-12-01.csv
  $ quantgrid data append sha256:3f2a… new-bars.csv --json`,
    )
    .action(commandAction(run));
}
