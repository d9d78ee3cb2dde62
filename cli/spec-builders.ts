import type { ParamRange } from '../shared/generated/quantgrid/v1/ParamRange.js';
import type { SubmitJobRequest } from '../shared/generated/quantgrid/v1/SubmitJobRequest.js';
import type { _quantgrid_v1_BacktestSpec_Constraint as BacktestConstraint } from '../shared/generated/quantgrid/v1/BacktestSpec.js';
import { METRIC_NAMES, OBJECTIVES, type MetricName } from '../shared/tasks/backtest/objective.js';
import { UsageError } from './cli-error.js';
import { parseDurationMs } from '../shared/config/parsers.js';
import {
  flagValue,
  parseIntegerIn,
  parseNameList,
  parseNonNegativeNumber,
  parseNumber,
  parseParamAssignment,
  parseRange,
} from './flag-parsers.js';

/**
 * Pure functions from the flags of `quantgrid submit …` (as commander hands them over: strings,
 * booleans, string arrays) to the SubmitJobRequest sent to the coordinator. Bad values throw a
 * UsageError naming the flag; semantic checks beyond syntax are the coordinator's (INVALID_ARGUMENT).
 */

const UINT32_MAX = 4_294_967_295;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

/** The synthetic, seeded bar generator every CLI job reads from. */
export const DATASET_NAME = 'synthetic';

export const BACKTEST_DEFAULTS = {
  timeframe: '1h',
  bars: '20000',
  seed: '42',
  strategy: 'sma-crossover',
  feeBps: '5',
  slippageBps: '1',
  top: '20',
  objective: 'sharpe',
  randomSeed: '1',
  equityCurves: '3',
  equityPoints: '500',
} as const;

/** Parameter sweeps used for sma-crossover when neither --fast/--slow nor --param give them. */
export const SMA_CROSSOVER_DEFAULT_PARAMS: Readonly<Record<string, string>> = { fast: '5:50:5', slow: '20:200:10' };

export const ANALYSIS_DEFAULTS = { timeframes: '1h', bars: '5000', seed: '42' } as const;

export const NOOP_DEFAULTS = { partitions: '4', workMs: '0' } as const;

/** Flags every submit subcommand takes. */
export interface SubmitCommonFlags {
  name?: string;
  priority?: string;
  maxPartitions?: string;
  /** Idempotency key; the command passes --request-id or a fresh UUID. */
  requestId?: string;
  /** --deadline: a duration from submission (e.g. 30m, 2h). */
  deadline?: string;
  /** --no-cache sets this to false. */
  cache?: boolean;
}

export interface BacktestFlags extends SubmitCommonFlags {
  symbols?: string;
  timeframe?: string;
  bars?: string;
  seed?: string;
  /** An imported dataset: sha256:<id> or the bare id. */
  dataset?: string;
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

export interface AnalysisFlags extends SubmitCommonFlags {
  assets?: string;
  timeframes?: string;
  bars?: string;
  seed?: string;
  /** An imported dataset: sha256:<id> or the bare id. */
  dataset?: string;
  indicators?: string;
  series?: boolean;
}

export interface NoopFlags extends SubmitCommonFlags {
  partitions?: string;
  workMs?: string;
  failPartition?: string;
}

function required(flag: string, value: string | undefined, example: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required (e.g. ${flag} ${example})`);
  return value;
}

const DATASET_ID = /^(?:sha256:)?([0-9a-f]{64})$/i;

/** "sha256:<id>" or the bare 64-hex-digit id (as `quantgrid data ls` prints it) as a dataset name. */
export function parseDatasetName(text: string): string {
  const match = DATASET_ID.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not sha256:<id> or a dataset id of 64 hex digits (see quantgrid data ls)`);
  return `sha256:${match[1].toLowerCase()}`;
}

/**
 * The DatasetRef: an imported dataset with --dataset (bars 0: the coordinator fills the count, and
 * --bars/--seed do not apply), else the synthetic generator.
 */
function dataset(flags: { bars?: string; seed?: string; dataset?: string }, defaults: { bars: string; seed: string }) {
  if (flags.dataset !== undefined) return { name: flagValue('--dataset', flags.dataset, parseDatasetName), bars: 0, seed: 0 };
  return {
    name: DATASET_NAME,
    bars: flagValue('--bars', flags.bars ?? defaults.bars, parseIntegerIn(1, UINT32_MAX)),
    seed: flagValue('--seed', flags.seed ?? defaults.seed, parseIntegerIn(0, UINT32_MAX)),
  };
}

/** The longest deadline the coordinator accepts (24 days). */
const MAX_DEADLINE_SECONDS = 24 * 24 * 3600;

/** "90s", "30m", "2h", "1h30m" → whole seconds (rounded up), at most 24 days. */
export function parseDeadline(text: string): number {
  const seconds = Math.ceil(parseDurationMs(text) / 1000);
  if (seconds < 1 || seconds > MAX_DEADLINE_SECONDS) throw new Error(`"${text}" must be from 1s to 24d`);
  return seconds;
}

function envelope(flags: SubmitCommonFlags): Omit<SubmitJobRequest, 'spec'> & { maxPartitions: number } {
  return {
    name: flags.name?.trim() ?? '',
    priority: flags.priority === undefined ? 0 : flagValue('--priority', flags.priority, parseIntegerIn(INT32_MIN, INT32_MAX)),
    requestId: flags.requestId ?? '',
    deadlineSeconds: flags.deadline === undefined ? 0 : flagValue('--deadline', flags.deadline, parseDeadline),
    noCache: flags.cache === false,
    maxPartitions:
      flags.maxPartitions === undefined ? 0 : flagValue('--max-partitions', flags.maxPartitions, parseIntegerIn(0, UINT32_MAX)),
  };
}

/**
 * The parameter sweep: every --param, plus the --fast/--slow shorthands; for sma-crossover, fast and
 * slow default to SMA_CROSSOVER_DEFAULT_PARAMS when not given at all.
 */
export function buildParams(flags: Pick<BacktestFlags, 'param' | 'fast' | 'slow' | 'strategy'>): Record<string, ParamRange> {
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
  if ((flags.strategy ?? BACKTEST_DEFAULTS.strategy) === 'sma-crossover') {
    for (const [name, text] of Object.entries(SMA_CROSSOVER_DEFAULT_PARAMS)) {
      if (!(name in params)) params[name] = parseRange(text);
    }
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
  for (const bars of [inSampleBars, outOfSampleBars]) if (bars < 2 || bars > UINT32_MAX) throw new Error(`"${text}": each window needs 2 to ${UINT32_MAX} bars`);
  return { inSampleBars, outOfSampleBars };
}

function search(flags: Pick<BacktestFlags, 'random' | 'randomSeed'>) {
  if (flags.random === undefined) {
    if (flags.randomSeed !== undefined) throw new UsageError('--random-seed: only with --random');
    return { method: 'grid', samples: 0, seed: 0 };
  }
  return {
    method: 'random',
    samples: flagValue('--random', flags.random, parseIntegerIn(1, UINT32_MAX)),
    seed: flagValue('--random-seed', flags.randomSeed ?? BACKTEST_DEFAULTS.randomSeed, parseIntegerIn(0, UINT32_MAX)),
  };
}

function walkForward(flags: Pick<BacktestFlags, 'walkForward' | 'anchored'>) {
  if (flags.walkForward === undefined) {
    if (flags.anchored === true) throw new UsageError('--anchored: only with --walk-forward');
    return null;
  }
  return { ...flagValue('--walk-forward', flags.walkForward, parseWalkForward), anchored: flags.anchored === true };
}

export function buildBacktestRequest(flags: BacktestFlags): SubmitJobRequest {
  const { maxPartitions, ...rest } = envelope(flags);
  const strategy = (flags.strategy ?? BACKTEST_DEFAULTS.strategy).trim();
  if (!strategy) throw new UsageError('--strategy: must not be empty');
  // On an imported dataset, no --timeframe means the dataset's own (the coordinator fills it in).
  const timeframe = (flags.timeframe ?? (flags.dataset !== undefined ? '' : BACKTEST_DEFAULTS.timeframe)).trim();
  if (!timeframe && flags.timeframe !== undefined) throw new UsageError('--timeframe: must not be empty');
  return {
    ...rest,
    spec: {
      backtest: {
        symbols: flagValue('--symbols', required('--symbols', flags.symbols, 'BTCUSDT,ETHUSDT'), parseNameList),
        timeframe,
        dataset: dataset(flags, BACKTEST_DEFAULTS),
        strategy,
        params: buildParams({ ...flags, strategy }),
        feeBps: flagValue('--fee-bps', flags.feeBps ?? BACKTEST_DEFAULTS.feeBps, parseNonNegativeNumber),
        slippageBps: flagValue('--slippage-bps', flags.slippageBps ?? BACKTEST_DEFAULTS.slippageBps, parseNonNegativeNumber),
        topN: flagValue('--top', flags.top ?? BACKTEST_DEFAULTS.top, parseIntegerIn(1, UINT32_MAX)),
        objective: flagValue('--objective', flags.objective ?? BACKTEST_DEFAULTS.objective, parseObjective),
        constraints: (flags.constraint ?? []).map((text) => flagValue('--constraint', text, parseConstraint)),
        fullTable: flags.fullTable === true,
        search: search(flags),
        walkForward: walkForward(flags),
        equityCurves: flagValue('--equity-curves', flags.equityCurves ?? BACKTEST_DEFAULTS.equityCurves, parseIntegerIn(1, 20)),
        equityPoints: flagValue('--equity-points', flags.equityPoints ?? BACKTEST_DEFAULTS.equityPoints, parseIntegerIn(2, 10_000)),
      },
      maxPartitions,
      requiredCapabilities: [],
    },
  };
}

export function buildAnalysisRequest(flags: AnalysisFlags): SubmitJobRequest {
  const { maxPartitions, ...rest } = envelope(flags);
  return {
    ...rest,
    spec: {
      marketAnalysis: {
        assets: flagValue('--assets', required('--assets', flags.assets, 'BTCUSDT,ETHUSDT'), parseNameList),
        timeframes:
          flags.timeframes === undefined && flags.dataset !== undefined ? [] : flagValue('--timeframes', flags.timeframes ?? ANALYSIS_DEFAULTS.timeframes, parseNameList),
        dataset: dataset(flags, ANALYSIS_DEFAULTS),
        indicators: flags.indicators === undefined ? [] : flagValue('--indicators', flags.indicators, parseNameList),
        includeSeries: flags.series === true,
      },
      maxPartitions,
      requiredCapabilities: [],
    },
  };
}

export function buildNoopRequest(flags: NoopFlags): SubmitJobRequest {
  const { maxPartitions, ...rest } = envelope(flags);
  return {
    ...rest,
    spec: {
      noop: {
        partitions: flagValue('--partitions', flags.partitions ?? NOOP_DEFAULTS.partitions, parseIntegerIn(1, UINT32_MAX)),
        workMs: flagValue('--work-ms', flags.workMs ?? NOOP_DEFAULTS.workMs, parseIntegerIn(0, UINT32_MAX)),
        failPartition:
          flags.failPartition === undefined
            ? ''
            : String(flagValue('--fail-partition', flags.failPartition, parseIntegerIn(0, UINT32_MAX))),
      },
      maxPartitions,
      requiredCapabilities: [],
    },
  };
}
