/** Volume traded at each price level over a series, its point of control and value area. */
export interface VolumeProfile {
  /** Lowest low and highest high of the series: the profile spans [priceLow, priceHigh]. */
  priceLow: number;
  priceHigh: number;
  /** Equal-width price bins; bin i covers [edge(i), edge(i+1)). */
  binWidth: number;
  /** Volume per bin. */
  volumes: Float64Array;
  totalVolume: number;
  /** Bin with the most volume (the lowest such bin on ties), and its mid price. */
  pocIndex: number;
  poc: number;
  /** Contiguous bins around the POC holding at least `valueAreaFraction` of the volume. */
  valueAreaLowIndex: number;
  valueAreaHighIndex: number;
  /** Lower edge of the lowest and upper edge of the highest value-area bin. */
  valueAreaLow: number;
  valueAreaHigh: number;
  valueAreaVolume: number;
}

/** Price at the lower edge of bin i (i = bins gives the top of the range exactly). */
export function binEdge(profile: Pick<VolumeProfile, 'priceLow' | 'priceHigh' | 'binWidth' | 'volumes'>, i: number): number {
  return i >= profile.volumes.length ? profile.priceHigh : profile.priceLow + i * profile.binWidth;
}

/**
 * Each bar's volume goes to the bin of its typical price (high + low + close) / 3 over
 * `bins` equal bins between the series' lowest low and highest high. The value area grows
 * from the POC one bin at a time towards the neighbour with more volume (upwards on ties)
 * until it holds at least `valueAreaFraction` of the total. O(n + bins).
 */
export function volumeProfile(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  bins = 24,
  valueAreaFraction = 0.7,
): VolumeProfile {
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`bins must be an integer ≥ 1, got ${bins}`);
  if (!(valueAreaFraction > 0 && valueAreaFraction <= 1)) throw new RangeError(`valueAreaFraction must be in (0, 1]`);
  const n = close.length;
  const volumes = new Float64Array(bins);
  if (n === 0) {
    return {
      priceLow: NaN, priceHigh: NaN, binWidth: NaN, volumes, totalVolume: 0, pocIndex: -1, poc: NaN,
      valueAreaLowIndex: -1, valueAreaHighIndex: -1, valueAreaLow: NaN, valueAreaHigh: NaN, valueAreaVolume: 0,
    };
  }
  let priceLow = Infinity;
  let priceHigh = -Infinity;
  for (let t = 0; t < n; t++) {
    if (low[t] < priceLow) priceLow = low[t];
    if (high[t] > priceHigh) priceHigh = high[t];
  }
  const binWidth = (priceHigh - priceLow) / bins;
  let totalVolume = 0;
  for (let t = 0; t < n; t++) {
    const typical = (high[t] + low[t] + close[t]) / 3;
    let bin = binWidth > 0 ? Math.floor((typical - priceLow) / binWidth) : 0;
    if (bin < 0) bin = 0;
    else if (bin >= bins) bin = bins - 1;
    volumes[bin] += volume[t];
    totalVolume += volume[t];
  }

  let pocIndex = 0;
  for (let i = 1; i < bins; i++) if (volumes[i] > volumes[pocIndex]) pocIndex = i;

  const target = valueAreaFraction * totalVolume;
  let lowIndex = pocIndex;
  let highIndex = pocIndex;
  let valueAreaVolume = volumes[pocIndex];
  while (valueAreaVolume < target && (lowIndex > 0 || highIndex < bins - 1)) {
    const above = highIndex < bins - 1 ? volumes[highIndex + 1] : -1;
    const below = lowIndex > 0 ? volumes[lowIndex - 1] : -1;
    if (above >= below) valueAreaVolume += volumes[++highIndex];
    else valueAreaVolume += volumes[--lowIndex];
  }

  const profile: VolumeProfile = {
    priceLow, priceHigh, binWidth, volumes, totalVolume, pocIndex, poc: NaN,
    valueAreaLowIndex: lowIndex, valueAreaHighIndex: highIndex, valueAreaLow: NaN, valueAreaHigh: NaN, valueAreaVolume,
  };
  profile.poc = (binEdge(profile, pocIndex) + binEdge(profile, pocIndex + 1)) / 2;
  profile.valueAreaLow = binEdge(profile, lowIndex);
  profile.valueAreaHigh = binEdge(profile, highIndex + 1);
  return profile;
}
