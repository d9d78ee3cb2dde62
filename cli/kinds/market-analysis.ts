import type { Command } from 'commander';
import type { MarketAnalysisSpec__Output } from '../../shared/generated/quantgrid/v1/MarketAnalysisSpec.js';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { TIMEFRAMES } from '../../shared/quant/timeframes.js';
import {
  INDICATORS,
  MARKET_ANALYSIS_DEFAULTS,
  marketAnalysisKind,
  type MarketAnalysisResult,
  type MarketAnalysisRow,
} from '../../shared/tasks/market-analysis/index.js';
import { flagValue, parseNameList } from '../flag-parsers.js';
import { formatNumber, formatPrice, NONE } from '../render/format.js';
import { describeDataset } from '../render/spec-text.js';
import { renderTable, type Align } from '../render/table.js';
import { BARS_RANGE, datasetRef, required, submitRequest, type DatasetFlags, type SubmitCommonFlags } from '../submit-request.js';
import type { CliKind } from './cli-kind.js';

/** `quantgrid submit market-analysis` (alias `analysis`): indicators and signals per asset and timeframe. */

export interface MarketAnalysisFlags extends SubmitCommonFlags, DatasetFlags {
  assets?: string;
  timeframes?: string;
  indicators?: string;
  series?: boolean;
}

const D = MARKET_ANALYSIS_DEFAULTS;

export function buildMarketAnalysisRequest(flags: MarketAnalysisFlags): SubmitJobRequest {
  const spec: Record<string, unknown> = {
    assets: flagValue('--assets', required('--assets', flags.assets, 'BTCUSDT,ETHUSDT'), parseNameList),
  };
  if (flags.timeframes !== undefined) spec.timeframes = flagValue('--timeframes', flags.timeframes, parseNameList);
  const dataset = datasetRef(flags);
  if (dataset) spec.dataset = dataset;
  if (flags.indicators !== undefined) spec.indicators = flagValue('--indicators', flags.indicators, parseNameList);
  if (flags.series === true) spec.includeSeries = true;
  return submitRequest(flags, marketAnalysisKind.specMember, spec);
}

function addFlags(command: Command): void {
  command
    .requiredOption('--assets <list>', 'comma-separated assets, e.g. BTCUSDT,ETHUSDT')
    .option('--timeframes <list>', `comma-separated bar sizes: ${TIMEFRAMES.join(' ')} (default ${D.timeframes.join(',')}; with --dataset, the dataset's own)`)
    .option('--bars <n>', `bars per asset and timeframe (synthetic, seeded data; ${BARS_RANGE.min} to ${BARS_RANGE.max}, default ${D.bars})`)
    .option('--seed <n>', `seed of the synthetic data (default ${D.seed})`)
    .option('--dataset <id|tag>', 'run on an imported dataset (sha256:<id>, the bare id, or a tag: the version it points at on submit; see `quantgrid data ls`) instead of synthetic data; --assets must be its symbol, --timeframes its timeframe or whole multiples coarser (resampled); --bars and --seed do not apply')
    .option('--indicators <list>', `comma-separated: ${INDICATORS.join(', ')} (default: all)`)
    .option('--series', 'also return the full indicator series (see them with --json)')
    .addHelpText(
      'after',
      `
Flags left out take the defaults above, applied by the coordinator (\`quantgrid job ID\` shows them).

Examples:
  $ quantgrid submit market-analysis --assets BTCUSDT,ETHUSDT --timeframes 1h,4h --bars 5000 --seed 7 --watch
  $ quantgrid submit market-analysis --assets BTCUSDT --indicators rsi,macd
  $ quantgrid --json submit market-analysis --assets BTCUSDT --series --watch | tail -n 1 | jq .result`,
    );
}

function describeMarketAnalysisSpec(m: MarketAnalysisSpec__Output): string {
  const indicators = m.indicators.length > 0 ? m.indicators.join(',') : 'all';
  const timeframes = m.timeframes.length > 0 ? m.timeframes : D.timeframes;
  return `${m.assets.join(',')} × ${timeframes.join(',')}, ${describeDataset(m.dataset, D)}, indicators ${indicators}${m.includeSeries ? ', with series' : ''}`;
}

/** Where the close sits in the Bollinger band: 0 = lower band, 1 = upper band (%B). */
function bollingerPosition(row: MarketAnalysisRow): number | null {
  const band = row.indicators.bollinger;
  if (!band || band.upper === null || band.lower === null || band.upper === band.lower) return null;
  return (row.close - band.lower) / (band.upper - band.lower);
}

/** Signals as words: { rsi: 'overbought', macd: 'bullish' } → 'rsi overbought, macd bullish'. */
function signalWords(signals: MarketAnalysisRow['signals']): string {
  const words: string[] = [];
  for (const [name, value] of Object.entries(signals)) {
    if (typeof value === 'string' && value) words.push(value.toLowerCase().includes(name.toLowerCase()) ? value : `${name} ${value}`);
  }
  return words.join(', ') || NONE;
}

export function renderMarketAnalysisResult(result: MarketAnalysisResult): string {
  const rows = result.rows;
  if (rows.length === 0) return 'market analysis\n(no rows)';
  const head = ['asset', 'timeframe', 'close', 'RSI', 'MACD hist', 'Bollinger %B', 'signals', 'POC'];
  const align: Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'left', 'right'];
  const body = rows.map((row) => [
    row.asset,
    row.timeframe,
    formatPrice(row.close),
    formatNumber(row.indicators.rsi?.value ?? null, 1),
    formatNumber(row.indicators.macd?.histogram ?? null, 4),
    formatNumber(bollingerPosition(row), 2),
    signalWords(row.signals),
    formatPrice(row.volumeProfile?.poc ?? null),
  ]);
  const withSeries = rows.some((row) => row.series !== undefined);
  const note = withSeries ? '\n(full indicator series included: use --json to get them)' : '';
  return `market analysis: ${rows.length} asset × timeframe rows\n${renderTable(head, body, align)}${note}`;
}

export const cliKind: CliKind<MarketAnalysisFlags, MarketAnalysisSpec__Output, MarketAnalysisResult> = {
  kind: marketAnalysisKind,
  // `submit analysis` came first; it stays accepted.
  aliases: ['analysis'],
  example: 'quantgrid submit market-analysis --assets BTCUSDT --timeframes 1h,4h --watch',
  addFlags,
  buildRequest: buildMarketAnalysisRequest,
  describeSpec: describeMarketAnalysisSpec,
  renderResult: renderMarketAnalysisResult,
};
