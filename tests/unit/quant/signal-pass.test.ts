/**
 * A strategy's signal pass (StrategyDefinition.prepareSignals, types.ts), run over consecutive
 * ranges of bars, each from the target the changes so far end with, writes exactly the changes its
 * signals() writes over the whole series (the tiled backtest, blocked-simulation.ts, relies on it):
 * for every built-in strategy, any parameters, shorts, exact ties (whole cents), a continuation from
 * any bar with any target held there, and any cut of the bars into ranges (empty ones too).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { IndicatorCache, SignalBuffer, STRATEGIES, STRATEGY_NAMES } from '../../../shared/quant/strategies/index.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { inWholeCents } from '../../helpers/whole-cents.js';

const BARS = 400;
const floats = generateSyntheticSeries({ seed: 31, symbol: 'PASS', timeframe: '1h', bars: BARS });
const cents = inWholeCents(floats);

/** A parameter's drawn value: one of its default range's first `count` values. */
function valueOf(range: { start: number; stop: number; step: number }, pick: number): number {
  const count = Math.floor((range.stop - range.start) / range.step + 1e-9) + 1;
  return Number((range.start + (pick % count) * range.step).toPrecision(12));
}

function changesOf(buffer: SignalBuffer): Array<[number, number]> {
  return Array.from({ length: buffer.count }, (_, i): [number, number] => [buffer.bar[i], buffer.target[i]]);
}

test('a signal pass over any cut of the bars writes the whole pass’s changes', () => {
  for (const name of STRATEGY_NAMES) assert.ok(STRATEGIES.get(name)!.prepareSignals, `${name} has a signal pass`);
  fc.assert(
    fc.property(
      fc.constantFrom(...STRATEGY_NAMES),
      fc.array(fc.nat(), { minLength: 4, maxLength: 4 }),
      fc.boolean(),
      fc.boolean(),
      fc.option(fc.tuple(fc.integer({ min: 1, max: BARS }), fc.constantFrom(-1, 0, 1)), { nil: undefined }),
      fc.array(fc.integer({ min: 0, max: BARS }), { maxLength: 12 }),
      (name, picks, short, inCents, resume, cuts) => {
        const definition = STRATEGIES.get(name)!;
        const values = new Float64Array(definition.params.length + 1);
        definition.params.forEach((schema, i) => (values[i] = valueOf(schema.defaultRange, picks[i])));
        values[definition.params.length] = short ? 1 : 0;
        for (const { left } of definition.constraints) {
          const l = definition.params.findIndex((p) => p.name === left);
          fc.pre(values[l] < values[l + 1]); // the right one follows the left one (index.ts)
        }
        const series = inCents ? cents : floats;
        const inputs = { open: series.open, high: series.high, low: series.low, close: series.close, indicators: new IndicatorCache(series) };
        const [from, initial] = resume ?? [0, 0];
        if (!short && initial === -1) return; // a long-only run never holds a short target
        const whole = new SignalBuffer(BARS).reset(BARS);
        definition.signals(inputs, values, short, whole, from, initial);

        const pass = definition.prepareSignals!(inputs, values, short, from);
        const bounds = [from, ...cuts.filter((c) => c >= from).sort((a, b) => a - b), BARS];
        const pieces: Array<[number, number]> = [];
        const block = new SignalBuffer(1);
        let held: number = initial;
        for (let k = 0; k + 1 < bounds.length; k++) {
          pass.run(block, bounds[k], bounds[k + 1], held);
          for (const [bar, target] of changesOf(block)) {
            assert.ok(bar >= bounds[k] && bar < bounds[k + 1], `change at ${bar} outside [${bounds[k]}, ${bounds[k + 1]})`);
            pieces.push([bar, target]);
          }
          if (block.count > 0) held = block.target[block.count - 1];
        }
        assert.deepEqual(pieces, changesOf(whole));
      },
    ),
    { numRuns: 300 },
  );
});
