import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { bollinger } from '../../../shared/quant/indicators/bollinger.js';
import { ema } from '../../../shared/quant/indicators/ema.js';
import { macd } from '../../../shared/quant/indicators/macd.js';
import { rsi } from '../../../shared/quant/indicators/rsi.js';
import { sma } from '../../../shared/quant/indicators/sma.js';
import { volumeProfile } from '../../../shared/quant/indicators/volume-profile.js';
import { generateSyntheticSeries } from '../../../shared/quant/synthetic-ohlcv.js';
import { bollingerSignal, macdSignal, rsiSignal, stochasticSignal, vwapSignal } from '../../../shared/tasks/market-analysis/analyse.js';
import { wma } from '../../../shared/quant/indicators/wma.js';
import { atr } from '../../../shared/quant/indicators/atr.js';
import { stochastic } from '../../../shared/quant/indicators/stochastic.js';
import { obv } from '../../../shared/quant/indicators/obv.js';
import { vwap } from '../../../shared/quant/indicators/vwap.js';
import { marketAnalysisKind, type MarketAnalysisSpec } from '../../../shared/tasks/market-analysis/index.js';
import { assertCoversEveryUnitOnce, fieldOf, runPartitioned } from '../../helpers/task-kinds.js';
import { DEFAULT_SPEC_LIMITS, type SpecLimits } from '../../../shared/tasks/task-kind.js';

const LIMITS: SpecLimits = DEFAULT_SPEC_LIMITS;
const ALL = ['rsi', 'macd', 'bollinger', 'volume-profile', 'sma', 'ema', 'wma', 'atr', 'stochastic', 'obv', 'vwap'];

function rawSpec(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { assets: ['AAA', 'BBB'], timeframes: [], dataset: null, indicators: [], includeSeries: false, ...overrides };
}



describe('market-analysis spec validation', () => {
  it('fills defaults', () => {
    const spec = marketAnalysisKind.validate(rawSpec(), LIMITS);
    assert.deepEqual(spec, {
      assets: ['AAA', 'BBB'],
      timeframes: ['1h'],
      dataset: { name: 'synthetic', bars: 5000, seed: 42 },
      indicators: ALL,
      includeSeries: false,
    });
    assert.deepEqual(marketAnalysisKind.measure(spec).units, 2);
    // Requested indicators come back unique, in the canonical order.
    const some = marketAnalysisKind.validate(rawSpec({ indicators: ['ema', 'rsi', 'ema'] }), LIMITS);
    assert.deepEqual(some.indicators, ['rsi', 'ema']);
  });

  it('names the field at fault', () => {
    const cases: [string, Record<string, unknown>, SpecLimits?][] = [
      ['market_analysis.assets', { assets: [] }],
      ['market_analysis.assets[1]', { assets: ['A', 'A'] }],
      ['market_analysis.assets[0]', { assets: ['no spaces'] }],
      ['market_analysis.assets', { assets: ['A', 'B', 'C'] }, { maxUnits: 2, maxBars: 10_000 }],
      ['market_analysis.assets', { assets: ['A', 'B'], timeframes: ['1h', '4h'] }, { maxUnits: 3, maxBars: 10_000 }],
      ['market_analysis.timeframes[1]', { timeframes: ['1h', '2h'] }],
      ['market_analysis.timeframes[0]', { timeframes: [''] }],
      ['market_analysis.timeframes[2]', { timeframes: ['1h', '4h', '1h'] }],
      ['market_analysis.dataset.name', { dataset: { name: 'csv', bars: 0, seed: 0 } }],
      ['market_analysis.dataset.bars', { dataset: { name: '', bars: 10, seed: 0 } }],
      ['market_analysis.dataset.bars', { dataset: { name: '', bars: 20_000, seed: 0 } }, { maxUnits: 100, maxBars: 10_000 }],
      ['market_analysis.indicators[1]', { indicators: ['rsi', 'ichimoku'] }],
      ['market_analysis.include_series', { includeSeries: 'yes' }],
    ];
    for (const [field, overrides, limits] of cases) {
      assert.equal(fieldOf(() => marketAnalysisKind.validate(rawSpec(overrides), limits ?? LIMITS)), field, JSON.stringify(overrides));
    }
  });
});

describe('market-analysis signals', () => {
  it('classifies RSI, MACD and Bollinger readings', () => {
    assert.equal(rsiSignal(70), 'overbought');
    assert.equal(rsiSignal(85), 'overbought');
    assert.equal(rsiSignal(30), 'oversold');
    assert.equal(rsiSignal(50), 'neutral');
    assert.equal(rsiSignal(NaN), null);
    assert.equal(macdSignal(-0.1, 0.2), 'bullish-cross');
    assert.equal(macdSignal(0.1, -0.2), 'bearish-cross');
    assert.equal(macdSignal(0.1, 0.2), 'bullish');
    assert.equal(macdSignal(-0.1, -0.2), 'bearish');
    assert.equal(macdSignal(NaN, 0.2), 'bullish');
    assert.equal(macdSignal(0.1, NaN), null);
    assert.equal(bollingerSignal(11, 10, 5), 'above-upper');
    assert.equal(bollingerSignal(4, 10, 5), 'below-lower');
    assert.equal(bollingerSignal(10, 10, 5), 'inside');
    assert.equal(stochasticSignal(85), 'overbought');
    assert.equal(stochasticSignal(15), 'oversold');
    assert.equal(stochasticSignal(50), 'neutral');
    assert.equal(stochasticSignal(NaN), null);
    assert.equal(vwapSignal(11, 10), 'above');
    assert.equal(vwapSignal(9, 10), 'below');
    assert.equal(vwapSignal(9, NaN), null);
  });
});

describe('market-analysis run and merge', () => {
  it('reports the latest values of every indicator and full series on request', () => {
    const spec = marketAnalysisKind.validate(rawSpec({ assets: ['ETH'], timeframes: ['4h'], dataset: { name: '', bars: 300, seed: 5 }, includeSeries: true }), LIMITS);
    const { result } = runPartitioned(marketAnalysisKind, spec, 1);
    assert.equal(result.kind, 'market-analysis');
    assert.equal(result.rows.length, 1);
    const row = result.rows[0];
    const s = generateSyntheticSeries({ seed: 5, symbol: 'ETH', timeframe: '4h', bars: 300 });
    const last = 299;
    assert.equal(row.asset, 'ETH');
    assert.equal(row.timeframe, '4h');
    assert.equal(row.bars, 300);
    assert.equal(row.time, s.time[last]);
    assert.equal(row.close, s.close[last]);

    const r = rsi(s.close, 14);
    const m = macd(s.close, 12, 26, 9);
    const b = bollinger(s.close, 20, 2);
    assert.equal(row.indicators.rsi?.value, r[last]);
    assert.equal(row.indicators.macd?.macd, m.macd[last]);
    assert.equal(row.indicators.macd?.signal, m.signal[last]);
    assert.equal(row.indicators.macd?.histogram, m.histogram[last]);
    assert.equal(row.indicators.bollinger?.upper, b.upper[last]);
    assert.equal(row.indicators.bollinger?.lower, b.lower[last]);
    assert.equal(row.indicators.sma?.value, sma(s.close, 50)[last]);
    assert.equal(row.indicators.ema?.value, ema(s.close, 20)[last]);
    const profile = volumeProfile(s.high, s.low, s.close, s.volume, 24, 0.7);
    assert.equal(row.volumeProfile?.poc, profile.poc);
    assert.equal(row.volumeProfile?.valueAreaLow, profile.valueAreaLow);
    assert.equal(row.volumeProfile?.valueAreaHigh, profile.valueAreaHigh);
    assert.equal(row.volumeProfile?.bins.length, 24);

    assert.equal(row.signals.rsi, rsiSignal(r[last]));
    assert.equal(row.signals.macd, macdSignal(m.histogram[last - 1], m.histogram[last]));
    assert.equal(row.signals.bollinger, bollingerSignal(s.close[last], b.upper[last], b.lower[last]));

    assert.equal(row.indicators.wma?.value, wma(s.close, 20)[last]);
    assert.equal(row.indicators.atr?.value, atr(s.high, s.low, s.close, 14)[last]);
    const st = stochastic(s.high, s.low, s.close, 14, 3, 1);
    assert.equal(row.indicators.stochastic?.k, st.k[last]);
    assert.equal(row.indicators.stochastic?.d, st.d[last]);
    assert.equal(row.signals.stochastic, stochasticSignal(st.k[last]));
    assert.equal(row.indicators.obv?.value, obv(s.close, s.volume)[last]);
    const v = vwap(s.high, s.low, s.close, s.volume);
    assert.equal(row.indicators.vwap?.value, v[last]);
    assert.equal(row.signals.vwap, vwapSignal(s.close[last], v[last]));

    const series = row.series!;
    assert.equal(series.close.length, 300);
    assert.equal(series.rsi!.length, 300);
    assert.equal(series.rsi![13], null);
    assert.equal(series.rsi![14], r[14]);
    assert.equal(series.macd!.signal[32], null);
    assert.equal(series.macd!.signal[33], m.signal[33]);
    assert.equal(series.bollinger!.middle[18], null);
    assert.equal(series.sma![48], null);
    assert.equal(series.ema![19], ema(s.close, 20)[19]);
    assert.equal(series.atr![12], null);
    assert.equal(series.atr![13], atr(s.high, s.low, s.close, 14)[13]);
    assert.equal(series.stochastic!.d.length, 300);
    assert.equal(series.obv![0], 0);
  });

  it('only the requested indicators appear, and no series unless asked', () => {
    const spec = marketAnalysisKind.validate(rawSpec({ indicators: ['rsi', 'volume-profile'], dataset: { name: '', bars: 150, seed: 1 } }), LIMITS);
    const { result } = runPartitioned(marketAnalysisKind, spec, 2);
    const without = runPartitioned(marketAnalysisKind, marketAnalysisKind.validate(rawSpec({ indicators: ['macd'] }), LIMITS), 1).result;
    assert.ok(without.rows.every((row) => row.volumeProfile === undefined && Object.keys(row.indicators).join() === 'macd'));
    for (const row of result.rows) {
      assert.deepEqual(Object.keys(row.indicators), ['rsi']);
      assert.deepEqual(Object.keys(row.signals), ['rsi']);
      assert.ok(row.volumeProfile && row.volumeProfile.bins.length === 24);
      assert.equal(row.series, undefined);
    }
  });

  it('plans cover every unit once and rows come in unit order, identical for any partitioning', () => {
    const arbitrary = fc.record({
      assets: fc.uniqueArray(fc.constantFrom('AAA', 'BBB', 'CCC', 'DDD', 'e.1', 'F-2'), { minLength: 1, maxLength: 4 }),
      timeframes: fc.uniqueArray(fc.constantFrom('1m', '5m', '15m', '30m', '1h', '4h', '1d'), { minLength: 0, maxLength: 3 }),
      indicators: fc.uniqueArray(fc.constantFrom(...ALL), { maxLength: 6 }),
      bars: fc.integer({ min: 100, max: 160 }),
      seed: fc.integer({ min: 0, max: 50 }),
      includeSeries: fc.boolean(),
      pick: fc.nat(),
    });
    fc.assert(
      fc.property(arbitrary, (r) => {
        const spec = marketAnalysisKind.validate(
          rawSpec({ assets: r.assets, timeframes: r.timeframes, indicators: r.indicators, dataset: { name: 'synthetic', bars: r.bars, seed: r.seed }, includeSeries: r.includeSeries }),
          LIMITS,
        );
        const units = marketAnalysisKind.measure(spec).units;
        assert.equal(units, spec.assets.length * spec.timeframes.length);
        const target = 1 + (r.pick % units);
        const single = runPartitioned(marketAnalysisKind, spec, 1);
        const split = runPartitioned(marketAnalysisKind, spec, target);

        assertCoversEveryUnitOnce(split.plan, units, target);

        assert.deepEqual(split.result, single.result);
        // Asset-major unit order.
        const order = split.result.rows.map((row) => `${row.asset}@${row.timeframe}`);
        assert.deepEqual(order, spec.assets.flatMap((a) => spec.timeframes.map((tf) => `${a}@${tf}`)));
      }),
      { numRuns: 60 },
    );
  });
});
