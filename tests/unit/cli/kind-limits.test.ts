import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError } from '../../../cli/cli-error.js';
import { buildBacktestRequest } from '../../../cli/kinds/backtest.js';
import { buildMarketAnalysisRequest } from '../../../cli/kinds/market-analysis.js';
import { buildNoopRequest } from '../../../cli/kinds/noop.js';
import { parseDeadline } from '../../../cli/submit-request.js';
import { ValidationError } from '../../../shared/errors.js';
import { BACKTEST_LIMITS, backtestKind } from '../../../shared/tasks/backtest/index.js';
import { marketAnalysisKind } from '../../../shared/tasks/market-analysis/index.js';
import { NOOP_LIMITS, noopKind } from '../../../shared/tasks/noop/index.js';
import { MAX_DEADLINE_SECONDS } from '../../../shared/tasks/submission-limits.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

/** Whether fn throws an error of the class. */
function refuses(fn: () => unknown, type: typeof UsageError | typeof ValidationError): boolean {
  try {
    fn();
    return false;
  } catch (error) {
    assert.ok(error instanceof type, `expected a ${type.name}, got ${String(error)}`);
    return true;
  }
}

const L = BACKTEST_LIMITS;

/**
 * A flag's value on both sides of each bound: the CLI refuses exactly what the kind's validate (with
 * the coordinator's default limits) refuses, since both take the bounds from the kind's folder.
 */
const CASES: Array<{ flag: string; values: number[]; cli: (text: string) => unknown; server: (value: number) => unknown }> = [
  {
    flag: '--bars (backtest)',
    values: [L.minBars - 1, L.minBars, DEFAULT_SPEC_LIMITS.maxBars, DEFAULT_SPEC_LIMITS.maxBars + 1],
    cli: (bars) => buildBacktestRequest({ symbols: 'A', bars }),
    server: (bars) => backtestKind.validate({ symbols: ['A'], dataset: { bars } }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--bars (market-analysis)',
    values: [L.minBars - 1, L.minBars, DEFAULT_SPEC_LIMITS.maxBars, DEFAULT_SPEC_LIMITS.maxBars + 1],
    cli: (bars) => buildMarketAnalysisRequest({ assets: 'A', bars }),
    server: (bars) => marketAnalysisKind.validate({ assets: ['A'], dataset: { bars } }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--seed',
    values: [0, L.maxSeed, L.maxSeed + 1],
    cli: (seed) => buildBacktestRequest({ symbols: 'A', seed }),
    server: (seed) => backtestKind.validate({ symbols: ['A'], dataset: { seed } }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--fee-bps',
    values: [0, L.maxCostBps - 0.01, L.maxCostBps],
    cli: (fee) => buildBacktestRequest({ symbols: 'A', feeBps: fee }),
    server: (feeBps) => backtestKind.validate({ symbols: ['A'], feeBps }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--slippage-bps',
    values: [0, L.maxCostBps - 0.01, L.maxCostBps],
    cli: (slippage) => buildBacktestRequest({ symbols: 'A', slippageBps: slippage }),
    server: (slippageBps) => backtestKind.validate({ symbols: ['A'], slippageBps }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--top',
    values: [1, L.maxTopN, L.maxTopN + 1],
    cli: (top) => buildBacktestRequest({ symbols: 'A', top }),
    server: (topN) => backtestKind.validate({ symbols: ['A'], topN }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--equity-curves',
    values: [1, L.maxEquityCurves, L.maxEquityCurves + 1],
    cli: (n) => buildBacktestRequest({ symbols: 'A', equityCurves: n }),
    server: (equityCurves) => backtestKind.validate({ symbols: ['A'], equityCurves }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--equity-points',
    values: [L.minEquityPoints - 1, L.minEquityPoints, L.maxEquityPoints, L.maxEquityPoints + 1],
    cli: (n) => buildBacktestRequest({ symbols: 'A', equityPoints: n }),
    server: (equityPoints) => backtestKind.validate({ symbols: ['A'], equityPoints }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--walk-forward',
    values: [L.minWindowBars - 1, L.minWindowBars],
    cli: (n) => buildBacktestRequest({ symbols: 'A', walkForward: `${n}:${n}`, fast: '1', slow: '2' }),
    server: (n) => backtestKind.validate({ symbols: ['A'], params: { fast: { start: 1, stop: 1 }, slow: { start: 2, stop: 2 } }, walkForward: { inSampleBars: n, outOfSampleBars: n } }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--random-seed',
    values: [0, L.maxSeed, L.maxSeed + 1],
    cli: (seed) => buildBacktestRequest({ symbols: 'A', random: '2', randomSeed: seed }),
    server: (seed) => backtestKind.validate({ symbols: ['A'], search: { method: 'random', samples: 2, seed } }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--partitions',
    values: [0, 1, NOOP_LIMITS.maxPartitions, NOOP_LIMITS.maxPartitions + 1],
    cli: (partitions) => buildNoopRequest({ partitions }),
    server: (partitions) => noopKind.validate({ partitions }, DEFAULT_SPEC_LIMITS),
  },
  {
    flag: '--work-ms',
    values: [0, NOOP_LIMITS.maxWorkMs, NOOP_LIMITS.maxWorkMs + 1],
    cli: (workMs) => buildNoopRequest({ workMs }),
    server: (workMs) => noopKind.validate({ workMs }, DEFAULT_SPEC_LIMITS),
  },
];

describe('the CLI checks the limits the coordinator checks', () => {
  for (const { flag, values, cli, server } of CASES) {
    it(flag, () => {
      for (const value of values) {
        const cliRefuses = refuses(() => cli(String(value)), UsageError);
        assert.equal(cliRefuses, refuses(() => server(value), ValidationError), `${flag} ${value}: CLI ${cliRefuses ? 'refuses' : 'accepts'}, the kind does not`);
      }
      assert.ok(values.some((value) => refuses(() => server(value), ValidationError)) || values.length === 2, `${flag}: a refused value among the cases`);
    });
  }

  it('--deadline: at most MAX_DEADLINE_SECONDS, the coordinator\'s bound', () => {
    assert.equal(parseDeadline(`${MAX_DEADLINE_SECONDS}s`), MAX_DEADLINE_SECONDS);
    assert.throws(() => parseDeadline(`${MAX_DEADLINE_SECONDS + 1}s`), /must be from 1s to 24d/);
  });
});
