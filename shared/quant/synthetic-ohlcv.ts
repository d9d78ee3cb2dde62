import { allocateOhlcv, ohlcvBytes, type Ohlcv } from './ohlcv.js';
import { hash32, seededRandom } from './random.js';
import { DAY_MS, hasFixedLength, monthStartMs, nominalTimeframeMs, periodsPerYear, type Timeframe } from './timeframes.js';

/**
 * The built-in dataset: seeded synthetic bars. The same (seed, symbol, timeframe, bars)
 * always gives bit-identical bars, on every machine of the cluster.
 *
 * Model, per symbol: a drift and a base volatility drawn from the (seed, symbol) hash;
 * per bar: geometric Brownian motion on the log price whose volatility is scaled by a
 * three-state regime (calm / normal / turbulent) that switches at random (mean stay
 * ~15 days of calendar time, whatever the timeframe). A very weak pull of the log price
 * towards its starting level (half-life ~14 years) keeps extremely long series in a sane
 * numeric range; over the horizon of ordinary series it is negligible.
 * Highs and lows extend beyond the open/close body; volumes are log-normal, larger in
 * turbulent regimes and on large moves (so they correlate with |returns|).
 */
export interface SyntheticSeriesRequest {
  seed: number;
  symbol: string;
  timeframe: Timeframe;
  bars: number;
}

/** Bars end at this fixed instant (2024-01-01T00:00:00Z), so results never depend on "now". */
export const SYNTHETIC_END_MS = Date.UTC(2024, 0, 1);
/** SYNTHETIC_END_MS as months since January 1970; it is also a Monday, so 1w bars are aligned. */
const SYNTHETIC_END_MONTH = (2024 - 1970) * 12;

const REGIME_VOL = [0.55, 1, 2.2] as const;
const REGIME_VOLUME = [0.7, 1, 1.8] as const;
const REGIME_MEAN_STAY_MS = 15 * DAY_MS;
const MEAN_REVERSION_PER_YEAR = 0.05;

/** Generates a series without touching the cache. */
export function generateSyntheticSeries(request: SyntheticSeriesRequest): Ohlcv {
  const { seed, symbol, timeframe, bars } = request;
  if (!Number.isInteger(bars) || bars < 0) throw new RangeError(`bars must be a non-negative integer, got ${bars}`);
  const series = allocateOhlcv(symbol, timeframe, bars);
  const { time, open, high, low, close, volume } = series;

  // Per-symbol character: the same on every timeframe.
  const character = seededRandom(hash32('synthetic-symbol', seed >>> 0, symbol)).uniform;
  const annualDrift = -0.15 + 0.5 * character();
  const annualVol = 0.15 + 0.75 * character();
  const startPrice = Math.exp(Math.log(5) + character() * Math.log(400 / 5));
  const dailyVolume = Math.exp(Math.log(1e5) + character() * Math.log(1e7 / 1e5));

  const barMs = nominalTimeframeMs(timeframe);
  const dt = 1 / periodsPerYear(timeframe);
  const sqrtDt = Math.sqrt(dt);
  const baseVolume = (dailyVolume * barMs) / DAY_MS;
  const switchProbability = Math.min(0.5, barMs / REGIME_MEAN_STAY_MS);
  const pull = MEAN_REVERSION_PER_YEAR * dt;
  const anchor = Math.log(startPrice);

  const stream = seededRandom(hash32('synthetic-bars', seed >>> 0, symbol, timeframe));
  const uniform = stream.uniform;
  const normal = stream.normal;

  let regime = Math.floor(uniform() * 3);
  let logClose = anchor;
  // 1M bars open on the first of each calendar month (they are 28 to 31 days long).
  const fixedStep = hasFixedLength(timeframe) ? barMs : 0;
  const firstTime = SYNTHETIC_END_MS - bars * fixedStep;
  const firstMonth = SYNTHETIC_END_MONTH - bars;

  for (let i = 0; i < bars; i++) {
    if (uniform() < switchProbability) regime = (regime + 1 + Math.floor(uniform() * 2)) % 3;
    const sigma = annualVol * REGIME_VOL[regime];
    const barSigma = sigma * sqrtDt;

    const logOpen = logClose + 0.05 * barSigma * normal();
    const shock = normal();
    const logReturn = (annualDrift - 0.5 * sigma * sigma) * dt - pull * (logOpen - anchor) + barSigma * shock;
    logClose = logOpen + logReturn;

    const o = Math.exp(logOpen);
    const c = Math.exp(logClose);
    const bodyHigh = o > c ? o : c;
    const bodyLow = o > c ? c : o;
    time[i] = fixedStep > 0 ? firstTime + i * fixedStep : monthStartMs(firstMonth + i);
    open[i] = o;
    close[i] = c;
    high[i] = bodyHigh * Math.exp(0.6 * barSigma * Math.abs(normal()));
    low[i] = bodyLow * Math.exp(-0.6 * barSigma * Math.abs(normal()));
    volume[i] = baseVolume * REGIME_VOLUME[regime] * Math.exp(0.35 * normal()) * (0.4 + 0.6 * Math.abs(shock));
  }
  return series;
}

// ---- memo cache: a worker runs many partitions over the same few series ----

const CACHE_MAX_ENTRIES = 6;
const CACHE_MAX_BYTES = 512 * 1024 * 1024;
const cache = new Map<string, Ohlcv>();
let cacheBytes = 0;

function cacheKey(request: SyntheticSeriesRequest): string {
  return `${request.seed >>> 0}\u0000${request.timeframe}\u0000${request.bars}\u0000${request.symbol}`;
}

/**
 * The series for these inputs, from a small in-process LRU cache (at most a few entries and
 * ~512 MB; the newest entry is always kept). The returned arrays are shared: do not modify them.
 */
export function syntheticSeries(request: SyntheticSeriesRequest): Ohlcv {
  const key = cacheKey(request);
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key); // re-insert: Map order is the recency order
    cache.set(key, hit);
    return hit;
  }
  const series = generateSyntheticSeries(request);
  cache.set(key, series);
  cacheBytes += ohlcvBytes(series);
  for (const [oldKey, old] of cache) {
    if (cache.size <= 1 || (cache.size <= CACHE_MAX_ENTRIES && cacheBytes <= CACHE_MAX_BYTES)) break;
    cache.delete(oldKey);
    cacheBytes -= ohlcvBytes(old);
  }
  return series;
}

export function clearSyntheticCache(): void {
  cache.clear();
  cacheBytes = 0;
}

export function syntheticCacheSize(): number {
  return cache.size;
}
