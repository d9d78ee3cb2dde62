import type { Command } from 'commander';
import type { BacktestSpec__Output, _quantgrid_v1_BacktestSpec_Constraint as BacktestConstraint } from '../../shared/generated/quantgrid/v1/BacktestSpec.js';
import type { ParamRange } from '../../shared/generated/quantgrid/v1/ParamRange.js';
import type { SubmitJobRequest } from '../../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import { SETTING_PARAMS, SHORT_PARAM, STRATEGIES, STRATEGY_NAMES } from '../../shared/quant/strategies/index.js';
import { TIMEFRAMES } from '../../shared/quant/timeframes.js';
import { BACKTEST_DEFAULTS, BACKTEST_LIMITS, backtestKind, EXIT_PARAMS, type BacktestResult } from '../../shared/tasks/backtest/index.js';
import { METRIC_NAMES, OBJECTIVES, type MetricName } from '../../shared/tasks/backtest/objective.js';
import { UsageError } from '../cli-error.js';
import {
  flagValue,
  parseIntegerIn,
  parseNameList,
  parseNonNegativeNumber,
  parseNumber,
  parseParamAssignment,
  parseRange,
} from '../flag-parsers.js';
import { backtestCsv, renderBacktestResult } from './backtest-result.js';
import { describeDataset, formatRange } from '../render/spec-text.js';
import { BARS_RANGE, datasetRef, required, submitRequest, UINT32_MAX, type DatasetFlags, type SubmitCommonFlags } from '../submit-request.js';
import type { CliKind } from './cli-kind.js';

/** `quantgrid submit backtest`: a parameter sweep of one strategy over symbols. */

export interface BacktestFlags extends SubmitCommonFlags, DatasetFlags {
  symbols?: string;
  timeframe?: string;
  strategy?: string;
  fast?: string;
  slow?: string;
  /** Repeated --param name=start:stop:step. */
  param?: string[];
  feeBps?: string;
  slippageBps?: string;
  top?: string;
  objective?: string;
  /** Repeated --constraint "metric<value" (ops < <= > >=). */
  constraint?: string[];
  fullTable?: boolean;
  /** Seeded random search of this many combinations, with --random-seed. */
  random?: string;
  randomSeed?: string;
  /** Walk-forward windows "in:out" (bars), --anchored for expanding in-sample windows. */
  walkForward?: string;
  anchored?: boolean;
  equityCurves?: string;
  equityPoints?: string;
}

const D = BACKTEST_DEFAULTS;
const L = BACKTEST_LIMITS;

/** A cost in basis points: 0 to below the kind's maximum. */
export function parseCostBps(text: string): number {
  const value = parseNonNegativeNumber(text);
  if (value >= L.maxCostBps) throw new Error(`"${text}" must be below ${L.maxCostBps}`);
  return value;
}

/** The parameter sweep: every --param, plus the --fast/--slow shorthands (a parameter left out sweeps its default range, on the server). */
export function buildParams(flags: Pick<BacktestFlags, 'param' | 'fast' | 'slow'>): Record<string, ParamRange> {
  const params: Record<string, ParamRange> = {};
  for (const text of flags.param ?? []) {
    const { name, range } = flagValue('--param', text, parseParamAssignment);
    if (name in params) throw new UsageError(`--param: ${name} is given more than once`);
    params[name] = range;
  }
  const shorthands: Array<[string, string | undefined]> = [
    ['fast', flags.fast],
    ['slow', flags.slow],
  ];
  for (const [name, text] of shorthands) {
    if (text === undefined) continue;
    if (name in params) throw new UsageError(`--${name}: ${name} is also given with --param; give it once`);
    params[name] = flagValue(`--${name}`, text, parseRange);
  }
  return params;
}

const CONSTRAINT = /^\s*([A-Za-z_]+)\s*(<=|>=|<|>)\s*(\S+)\s*$/;

/** "max_drawdown<0.25" (spaces allowed) as a BacktestSpec constraint. */
export function parseConstraint(text: string): BacktestConstraint {
  const match = CONSTRAINT.exec(text);
  if (!match) throw new Error(`"${text}" is not like metric<value (ops < <= > >=; e.g. max_drawdown<0.25, trades>=10)`);
  const [, metric, op, number] = match;
  if (!METRIC_NAMES.includes(metric as MetricName)) throw new Error(`unknown metric "${metric}" (one of ${METRIC_NAMES.join(', ')})`);
  let value: number;
  try {
    value = parseNumber(number);
  } catch {
    throw new Error(`"${text}": "${number}" is not a number`);
  }
  return { metric, op, value };
}

export function parseObjective(text: string): string {
  const objective = text.trim();
  if (!(OBJECTIVES as readonly string[]).includes(objective)) throw new Error(`unknown objective "${objective}" (one of ${OBJECTIVES.join(', ')})`);
  return objective;
}

const WALK_FORWARD = /^\s*(\d+)\s*:\s*(\d+)\s*$/;

/** "2000:500" → 2000 in-sample and 500 out-of-sample bars per window. */
export function parseWalkForward(text: string): { inSampleBars: number; outOfSampleBars: number } {
  const match = WALK_FORWARD.exec(text);
  if (!match) throw new Error(`"${text}" is not in-sample:out-of-sample bars, e.g. 2000:500`);
  const [inSampleBars, outOfSampleBars] = [Number(match[1]), Number(match[2])];
  for (const bars of [inSampleBars, outOfSampleBars]) {
    if (bars < L.minWindowBars || bars > UINT32_MAX) throw new Error(`"${text}": each window needs ${L.minWindowBars} to ${UINT32_MAX} bars`);
  }
  return { inSampleBars, outOfSampleBars };
}

function search(flags: Pick<BacktestFlags, 'random' | 'randomSeed'>) {
  if (flags.random === undefined) {
    if (flags.randomSeed !== undefined) throw new UsageError('--random-seed: only with --random');
    return undefined;
  }
  return {
    method: 'random',
    samples: flagValue('--random', flags.random, parseIntegerIn(1, UINT32_MAX)),
    ...(flags.randomSeed === undefined ? {} : { seed: flagValue('--random-seed', flags.randomSeed, parseIntegerIn(0, L.maxSeed)) }),
  };
}

function walkForward(flags: Pick<BacktestFlags, 'walkForward' | 'anchored'>) {
  if (flags.walkForward === undefined) {
    if (flags.anchored === true) throw new UsageError('--anchored: only with --walk-forward');
    return undefined;
  }
  return { ...flagValue('--walk-forward', flags.walkForward, parseWalkForward), anchored: flags.anchored === true };
}

/** Sets spec[key] to the parsed flag when the flag was given. */
function given<T>(spec: Record<string, unknown>, key: string, flag: string, text: string | undefined, parse: (text: string) => T): void {
  if (text !== undefined) spec[key] = flagValue(flag, text, parse);
}

export function buildBacktestRequest(flags: BacktestFlags): SubmitJobRequest {
  const spec: Record<string, unknown> = {
    symbols: flagValue('--symbols', required('--symbols', flags.symbols, 'BTCUSDT,ETHUSDT'), parseNameList),
    params: buildParams(flags),
  };
  if (flags.timeframe !== undefined) {
    if (!flags.timeframe.trim()) throw new UsageError('--timeframe: must not be empty');
    spec.timeframe = flags.timeframe.trim();
  }
  if (flags.strategy !== undefined) {
    if (!flags.strategy.trim()) throw new UsageError('--strategy: must not be empty');
    spec.strategy = flags.strategy.trim();
  }
  const dataset = datasetRef(flags);
  if (dataset) spec.dataset = dataset;
  given(spec, 'feeBps', '--fee-bps', flags.feeBps, parseCostBps);
  given(spec, 'slippageBps', '--slippage-bps', flags.slippageBps, parseCostBps);
  given(spec, 'topN', '--top', flags.top, parseIntegerIn(1, L.maxTopN));
  given(spec, 'objective', '--objective', flags.objective, parseObjective);
  if (flags.constraint !== undefined) spec.constraints = flags.constraint.map((text) => flagValue('--constraint', text, parseConstraint));
  if (flags.fullTable === true) spec.fullTable = true;
  const sweep = search(flags);
  if (sweep) spec.search = sweep;
  const windows = walkForward(flags);
  if (windows) spec.walkForward = windows;
  given(spec, 'equityCurves', '--equity-curves', flags.equityCurves, parseIntegerIn(1, L.maxEquityCurves));
  given(spec, 'equityPoints', '--equity-points', flags.equityPoints, parseIntegerIn(L.minEquityPoints, L.maxEquityPoints));
  return submitRequest(flags, backtestKind.specMember, spec);
}

/** The strategies and their parameters, from the strategy registry itself. */
function strategyHelp(): string {
  const lines = ['Strategies and their parameters (--param name=range; default ranges in brackets):'];
  for (const [name, definition] of STRATEGIES) {
    const params = definition.params.map((param) => `${param.name} [${formatRange(param.defaultRange)}]`).join(', ');
    const constraints = definition.constraints.map((c) => `${c.left} < ${c.right}`).join(', ');
    lines.push(`  ${name.padEnd(20)} ${params}${constraints ? `; ${constraints}` : ''}`);
  }
  for (const param of [SHORT_PARAM, ...SETTING_PARAMS]) lines.push(`  ${'(every strategy)'.padEnd(20)} ${param.name}: ${param.description}`);
  lines.push(`  ${'(every strategy)'.padEnd(20)} exit rules, swept like any parameter (docs/task-kinds.md#exit-rules):`);
  for (const param of EXIT_PARAMS) lines.push(`  ${''.padEnd(22)}${param.name} (${param.min} to ${param.max}): ${param.description}`);
  lines.push(`  ${'(pushed strategies)'.padEnd(20)} quantgrid strategy show NAME lists a pushed strategy's parameters`);
  return lines.join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function addFlags(command: Command): void {
  const sma = STRATEGIES.get('sma-crossover')!.params;
  const smaDefault = (name: string) => formatRange(sma.find((param) => param.name === name)!.defaultRange);
  command
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--timeframe <tf>', `bar size: ${TIMEFRAMES.join(' ')} (default ${D.timeframe}; with --dataset, the dataset's own)`)
    .option('--bars <n>', `bars per symbol (synthetic, seeded data; ${BARS_RANGE.min} to ${BARS_RANGE.max}, default ${D.bars})`)
    .option('--seed <n>', `seed of the synthetic data (same seed, same bars; default ${D.seed})`)
    .option('--dataset <id|tag>', 'run on an imported dataset (sha256:<id>, the bare id, or a tag: the version it points at on submit; see `quantgrid data ls`) instead of synthetic data; --symbols must be its symbol, --timeframe its timeframe or a whole multiple coarser (resampled); --bars and --seed do not apply')
    .option('--strategy <name>', `strategy to run: ${STRATEGY_NAMES.join(', ')} (default ${D.strategy}), or one pushed with quantgrid strategy push: NAME (its latest version) or NAME@ID`)
    .option('--fast <range>', `fast SMA period: start:stop:step or one value (sma-crossover default ${smaDefault('fast')})`)
    .option('--slow <range>', `slow SMA period: start:stop:step or one value (sma-crossover default ${smaDefault('slow')})`)
    .option('--param <name=range>', 'any strategy parameter or exit rule (below), e.g. fast=5:50:5 or stop_loss=0.01:0.05:0.01 (repeatable)', collect)
    .option('--fee-bps <bps>', `fee per side in basis points, 0 to below ${L.maxCostBps} (default ${D.feeBps})`)
    .option('--slippage-bps <bps>', `slippage per side in basis points, 0 to below ${L.maxCostBps} (default ${D.slippageBps})`)
    .option('--top <n>', `rows kept in the ranking, 1 to ${L.maxTopN} (default ${D.topN})`)
    .option('--objective <name>', `what the ranking sorts by, higher is better: ${OBJECTIVES.join(', ')} (default ${D.objective})`)
    .option('--constraint <metric op value>', 'rank only rows meeting it, e.g. "max_drawdown<0.25" or "trades>=10" (repeatable)', collect)
    .option('--full-table', `also return every row (at most ${L.fullTableMaxUnits} units; see it with \`quantgrid job ID --csv\`)`)
    .option('--random <n>', 'seeded random search: evaluate n distinct combinations drawn from the ranges instead of all of them')
    .option('--random-seed <n>', `seed of --random (same seed and ranges, same combinations; default ${D.searchSeed})`)
    .option('--walk-forward <in:out>', 'walk-forward optimisation: windows of `in` in-sample bars then `out` out-of-sample bars, stepping by `out`, e.g. 2000:500')
    .option('--anchored', 'with --walk-forward: every in-sample window starts at the first bar (expanding)')
    .option('--equity-curves <n>', `equity curves returned for the best n rows (1 to ${L.maxEquityCurves}, default ${D.equityCurves}; see them with --json)`)
    .option('--equity-points <n>', `points per equity curve, evenly spaced bars (${L.minEquityPoints} to ${L.maxEquityPoints}, default ${D.equityPoints})`)
    .addHelpText(
      'after',
      `
Ranges are inclusive: 5:50:5 means 5, 10, …, 50; a single value (e.g. 14) is a range of one.
--fast and --slow are shorthands for --param fast=… and --param slow=….
Constraints take < <= > >= and one of: ${METRIC_NAMES.join(', ')}
(drawdowns are positive fractions: 0.25 = 25 %); a row whose metric is undefined meets no constraint.
Jobs of 2+ symbols also rank each symbol on its own and the combinations by their mean objective over
the symbols; a sweep of two parameters shows a heatmap of the objective (one symbol: with --full-table).
--random n evaluates n combinations drawn without repetition from the ranges (which may then hold far
more combinations than a job may evaluate); the same --random-seed gives the same draw.
--walk-forward in:out optimises the objective (under the constraints) on each in-sample window, trades
the winner on the following out-of-sample window (selling at the window's last open), and reports each
window's choice and the stitched out-of-sample account; each window's sweep is spread over the cluster.
Exit rules (below) apply to any strategy: a stop is checked against each bar's low/high from the entry
bar on and fills at the stop, or at the open when the bar gaps through it; stop and target inside one
bar: the stop first; after an exit the position stays flat until the strategy's target changes.
Flags left out take the defaults above, applied by the coordinator (\`quantgrid job ID\` shows them).

${strategyHelp()}

Examples:
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --timeframe 1h --bars 20000 --seed 42 \\
      --fast 5:50:5 --slow 20:200:10 --fee-bps 5 --slippage-bps 1 --top 20 --watch
  $ quantgrid submit backtest --symbols SOLUSDT --param fast=10 --param slow=50:150:25 --name quick-sol
  $ quantgrid submit backtest --symbols BTCUSDT --strategy rsi-reversion --param period=14 --param entry=20:35:5 --param short=0:1:1
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --objective sortino --constraint "max_drawdown<0.25" --constraint "trades>=10" --watch
  $ quantgrid submit backtest --symbols BTCUSDT --fast 5:50:5 --slow 20:200:20 --full-table --watch
  $ quantgrid submit backtest --symbols BTCUSDT --strategy rsi-reversion --param period=2:100:1 \\
      --param entry=5:45:0.5 --param exit=50:95:0.5 --random 5000 --random-seed 7 --watch
  $ quantgrid submit backtest --symbols BTCUSDT --bars 50000 --fast 5:50:5 --slow 20:200:10 --walk-forward 10000:2500 --watch
  $ quantgrid submit backtest --symbols BTCUSDT --fast 10:30:10 --slow 50:150:50 --param stop_loss=0.01:0.05:0.01 \\
      --param trailing_stop_atr=2:4:1 --param time_stop=48 --watch
  $ quantgrid --json submit backtest --symbols BTCUSDT | jq -r .jobId`,
    );
}

/** One line for listings: what the spec sweeps; unset fields read as the defaults the coordinator applies. */
export function describeBacktestSpec(b: BacktestSpec__Output): string {
  const params = Object.entries(b.params ?? {})
    .map(([name, range]) => `${name}=${formatRange(range)}`)
    .join(' ');
  return (
    `${b.strategy || D.strategy} on ${b.symbols.join(',')} ${b.timeframe || D.timeframe}, ${describeDataset(b.dataset, D)}, ${params || 'default params'}, ` +
    `fee ${b.feeBps ?? D.feeBps} bps + slippage ${b.slippageBps ?? D.slippageBps} bps, top ${b.topN || D.topN}`
  );
}

export const cliKind: CliKind<BacktestFlags, BacktestSpec__Output, BacktestResult> = {
  kind: backtestKind,
  aliases: [],
  example: 'quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --fast 5:50:5 --slow 20:200:10 --watch',
  addFlags,
  buildRequest: buildBacktestRequest,
  describeSpec: describeBacktestSpec,
  renderResult: renderBacktestResult,
  csv: backtestCsv,
};
