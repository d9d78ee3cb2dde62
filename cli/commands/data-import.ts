import type { Command } from 'commander';
import { EXIT, UsageError } from '../cli-error.js';
import { openDatasetFile, sendDatasetFile } from '../dataset-file.js';
import { TIMEFRAMES } from '../../shared/quant/timeframes.js';
import { commandAction, type CommandContext } from '../command-context.js';
import { renderDatasetDetails } from '../render/dataset-table.js';

interface Flags {
  symbol?: string;
  timeframe?: string;
  format: string;
  allowNonPositive?: boolean;
}

async function run(context: CommandContext, flags: Flags, args: string[]): Promise<number> {
  const file = args[0];
  if (!flags.symbol) throw new UsageError('--symbol is required');
  if (!flags.timeframe) throw new UsageError('--timeframe is required');
  // The file is streamed (ImportDatasetStream), never read whole: any size, little memory.
  const opened = await openDatasetFile(file, flags.format);
  const info = await sendDatasetFile(file, opened, (content) =>
    context.connection.importDatasetStream(
      { symbol: flags.symbol!, timeframe: flags.timeframe!, format: opened.format, totalBytes: opened.size, allowNonPositive: flags.allowNonPositive === true },
      content,
    ),
  );
  if (context.json) context.printJson(info);
  else {
    context.print(`${info.alreadyPresent ? 'already stored' : 'imported'}: sha256:${info.id}`);
    context.print(renderDatasetDetails(info));
  }
  return EXIT.OK;
}

/** `quantgrid data import FILE`: stores a CSV or Parquet file of OHLCV bars in the coordinator. */
export function registerDataImportCommand(data: Command): void {
  data
    .command('import')
    .description('import a CSV or Parquet file of OHLCV bars (one symbol and timeframe); prints its id (a job uses it as dataset name sha256:<id>)')
    .argument('<file>', 'CSV with a header (time, open, high, low, close, volume), a Binance kline file, or a Parquet file with those columns')
    .option('--symbol <symbol>', 'the symbol the bars belong to, e.g. BTCUSDT')
    .option('--timeframe <tf>', `the bars' timeframe: ${TIMEFRAMES.join(' ')}`)
    .option('--format <format>', 'auto, header, binance or parquet (auto: Parquet when the file starts with PAR1, else CSV)', 'auto')
    .option('--allow-non-positive', 'accept open, high, low and close of 0 or below (spreads, some futures, rates); refused by default as a data error')
    .addHelpText(
      'after',
      `
A bad file is refused with the row at fault (for Parquet, the 1-based data row), and nothing is
stored: unsorted or duplicate times, bars off the timeframe's grid, high/low not around open/close,
negative volume, prices of 0 or below (unless --allow-non-positive), or a --timeframe much finer
than the bars (1h bars as 5m: "bars are 1h apart, not 5m: use --timeframe 1h"; gaps such as
weekends are fine). Importing the same bars again gives the same id, from CSV or Parquet alike.

Examples:
  $ quantgrid data import BTCUSDT-1h-2024.csv --symbol BTCUSDT --timeframe 1h
  $ quantgrid data import BTCUSDT-1h-2024-01.csv --symbol BTCUSDT --timeframe 1h --format binance --json
  $ quantgrid data import BTCUSDT-1h-2024.parquet --symbol BTCUSDT --timeframe 1h
  $ quantgrid data import CL-SPREAD-1d.csv --symbol CL-SPREAD --timeframe 1d --allow-non-positive`,
    )
    .action(commandAction(run));
}
