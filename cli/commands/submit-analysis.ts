import type { Command } from 'commander';
import { TIMEFRAMES } from '../../shared/quant/timeframes.js';
import type { CommandContext } from '../command-context.js';
import { commandAction } from '../command-context.js';
import { ANALYSIS_DEFAULTS, buildAnalysisRequest, type AnalysisFlags } from '../spec-builders.js';
import { addSubmitOptions, newRequestId, submitJob } from '../submit-job.js';

async function run(context: CommandContext, flags: AnalysisFlags & { watch?: boolean }): Promise<number> {
  const request = buildAnalysisRequest({ ...flags, requestId: flags.requestId ?? newRequestId() });
  return submitJob(context, request, flags.watch === true);
}

/** `quantgrid submit analysis`: indicators and signals per asset and timeframe. */
export function registerSubmitAnalysisCommand(submit: Command): void {
  const command = submit
    .command('analysis')
    .description('compute indicators (RSI, MACD, Bollinger bands, volume profile) and signals per asset and timeframe')
    .requiredOption('--assets <list>', 'comma-separated assets, e.g. BTCUSDT,ETHUSDT')
    .option('--timeframes <list>', `comma-separated bar sizes: ${TIMEFRAMES.join(' ')} (default ${ANALYSIS_DEFAULTS.timeframes}; with --dataset, the dataset's own)`)
    .option('--bars <n>', 'bars per asset and timeframe (synthetic, seeded data)', ANALYSIS_DEFAULTS.bars)
    .option('--seed <n>', 'seed of the synthetic data', ANALYSIS_DEFAULTS.seed)
    .option('--dataset <id>', 'run on an imported dataset (sha256:<id> or the bare id, see `quantgrid data ls`) instead of synthetic data; --assets must be its symbol, --timeframes its timeframe or whole multiples coarser (resampled); --bars and --seed do not apply')
    .option('--indicators <list>', 'comma-separated: rsi, macd, bollinger, volume-profile (default: all)')
    .option('--series', 'also return the full indicator series (see them with --json)');
  addSubmitOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  $ quantgrid submit analysis --assets BTCUSDT,ETHUSDT --timeframes 1h,4h --bars 5000 --seed 7 --watch
  $ quantgrid submit analysis --assets BTCUSDT --indicators rsi,macd
  $ quantgrid --json submit analysis --assets BTCUSDT --series --watch | tail -n 1 | jq .result`,
    )
    .action(commandAction(run));
}
