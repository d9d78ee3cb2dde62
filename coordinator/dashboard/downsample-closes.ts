/**
 * A long series cut to a chart's size without losing its spikes (pure): the first and last points,
 * and for each of (points − 2) / 2 equal runs of the points between them, that run's lowest and
 * highest value in time order (one point when they are the same). At most `points` points; a series
 * no longer than that is returned whole.
 */
export function downsampleMinMax(time: ArrayLike<number>, value: ArrayLike<number>, points: number): { time: number[]; value: number[] } {
  const n = Math.min(time.length, value.length);
  const kept: number[] = [];
  if (n <= points) {
    for (let i = 0; i < n; i++) kept.push(i);
  } else {
    kept.push(0);
    const runs = Math.floor((points - 2) / 2);
    const inner = n - 2;
    for (let run = 0; run < runs; run++) {
      const from = 1 + Math.floor((run * inner) / runs);
      const to = 1 + Math.floor(((run + 1) * inner) / runs);
      if (to <= from) continue;
      let low = from;
      let high = from;
      for (let i = from + 1; i < to; i++) {
        if (value[i] < value[low]) low = i;
        if (value[i] > value[high]) high = i;
      }
      if (low === high) kept.push(low);
      else kept.push(Math.min(low, high), Math.max(low, high));
    }
    kept.push(n - 1);
  }
  return { time: kept.map((i) => time[i]), value: kept.map((i) => value[i]) };
}
