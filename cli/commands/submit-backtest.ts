import type { Command } from 'commander';
import type { CommandContext } from '../command-context.js';
import { commandAction } from '../command-context.js';
import { BACKTEST_DEFAULTS, buildBacktestRequest, SMA_CROSSOVER_DEFAULT_PARAMS, type BacktestFlags } from '../spec-builders.js';
import { addSubmitOptions, newRequestId, submitJob } from '../submit-job.js';
import { SETTING_PARAMS, SHORT_PARAM, STRATEGIES, STRATEGY_NAMES } from '../../shared/quant/strategies/index.js';
import { METRIC_NAMES, OBJECTIVES } from '../../shared/tasks/backtest/objective.js';
import { TIMEFRAMES } from '../../shared/quant/timeframes.js';

function formatRange(range: { start: number; stop: number; step: number }): string {
  return range.start === range.stop ? String(range.start) : `${range.start}:${range.stop}:${range.step}`;
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
  return lines.join('\n');
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

async function run(context: CommandContext, flags: BacktestFlags & { watch?: boolean }): Promise<number> {
  const request = buildBacktestRequest({ ...flags, requestId: flags.requestId ?? newRequestId() });
  return submitJob(context, request, flags.watch === true);
}

/** `quantgrid submit backtest`: a parameter sweep of one strategy over symbols. */
export function registerSubmitBacktestCommand(submit: Command): void {
  const command = submit
    .command('backtest')
    .description('sweep a strategy\'s parameters over symbols and rank the combinations by an objective (Sharpe ratio by default)')
    .requiredOption('--symbols <list>', 'comma-separated symbols, e.g. BTCUSDT,ETHUSDT')
    .option('--timeframe <tf>', `bar size: ${TIMEFRAMES.join(' ')} (default ${BACKTEST_DEFAULTS.timeframe}; with --dataset, the dataset's own)`)
    .option('--bars <n>', 'bars per symbol (synthetic, seeded data)', BACKTEST_DEFAULTS.bars)
    .option('--seed <n>', 'seed of the synthetic data (same seed, same bars)', BACKTEST_DEFAULTS.seed)
    .option('--dataset <id>', 'run on an imported dataset (sha256:<id> or the bare id, see `quantgrid data ls`) instead of synthetic data; --symbols must be its symbol, --timeframe its timeframe or a whole multiple coarser (resampled); --bars and --seed do not apply')
    .option('--strategy <name>', `strategy to run: ${STRATEGY_NAMES.join(', ')}`, BACKTEST_DEFAULTS.strategy)
    .option('--fast <range>', `fast SMA period: start:stop:step or one value (sma-crossover default ${SMA_CROSSOVER_DEFAULT_PARAMS.fast})`)
    .option('--slow <range>', `slow SMA period: start:stop:step or one value (sma-crossover default ${SMA_CROSSOVER_DEFAULT_PARAMS.slow})`)
    .option('--param <name=range>', 'any strategy parameter, e.g. fast=5:50:5 (repeatable)', collect)
    .option('--fee-bps <bps>', 'fee per side in basis points', BACKTEST_DEFAULTS.feeBps)
    .option('--slippage-bps <bps>', 'slippage per side in basis points', BACKTEST_DEFAULTS.slippageBps)
    .option('--top <n>', 'rows kept in the ranking', BACKTEST_DEFAULTS.top)
    .option('--objective <name>', `what the ranking sorts by, higher is better: ${OBJECTIVES.join(', ')}`, BACKTEST_DEFAULTS.objective)
    .option('--constraint <metric op value>', 'rank only rows meeting it, e.g. "max_drawdown<0.25" or "trades>=10" (repeatable)', collect)
    .option('--full-table', 'also return every row (see it with `quantgrid job ID --csv`)')
    .option('--random <n>', 'seeded random search: evaluate n distinct combinations drawn from the ranges instead of all of them')
    .option('--random-seed <n>', `seed of --random (same seed and ranges, same combinations; default ${BACKTEST_DEFAULTS.randomSeed})`)
    .option('--walk-forward <in:out>', 'walk-forward optimisation: windows of `in` in-sample bars then `out` out-of-sample bars, stepping by `out`, e.g. 2000:500')
    .option('--anchored', 'with --walk-forward: every in-sample window starts at the first bar (expanding)')
    .option('--equity-curves <n>', 'equity curves returned for the best n rows (1 to 20; see them with --json)', BACKTEST_DEFAULTS.equityCurves)
    .option('--equity-points <n>', 'points per equity curve, evenly spaced bars (2 to 10000)', BACKTEST_DEFAULTS.equityPoints);
  addSubmitOptions(command)
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

${strategyHelp()}

Examples:
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --timeframe 1h --bars 20000 --seed 42 \\
      --fast 5:50:5 --slow 20:200:10 --fee-bps 5 --slippage-bps 1 --top 20 --watch
  $ quantgrid submit backtest --symbols SOLUSDT --param fast=10 --param slow=50:150:25 --name quick-sol
  $ quantgrid submit backtest --symbols BTCUSDT --strategy rsi-reversion --param period=14 --param entry=20:35:5 --param short=0:1:1
  $ quantgrid submit backtest --symbols BTCUSDT,ETHUSDT --objective sortino --constraint "max_drawdown<0.25" --constraint "trades>=10" --watch
  $ quantgrid submit backtest --symbols BTCUSDT --fast 5:50:5 --slow 20:200:20 --full-table --watch
  $ quantgrid submit backtest --symbols BTCUSDT --strategy rsi-reversion --param period=2:100:1 \
      --param entry=5:45:0.5 --param exit=50:95:0.5 --random 5000 --random-seed 7 --watch
  $ quantgrid submit backtest --symbols BTCUSDT --bars 50000 --fast 5:50:5 --slow 20:200:10 --walk-forward 10000:2500 --watch
  $ quantgrid --json submit backtest --symbols BTCUSDT | jq -r .jobId`,
    )
    .action(commandAction(run));
}
