/** The dashboard's colour scales, shared by the heatmap and its legend. */

/** Red (low) → pale yellow (middle) → green (high), for t in [0, 1]. */
export function divergingColor(t: number): string {
  const clamp = Math.min(1, Math.max(0, t));
  const stops: Array<[number, number, number]> = [
    [178, 34, 34],
    [250, 240, 190],
    [30, 130, 76],
  ];
  const scaled = clamp * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(scaled));
  const f = scaled - i;
  const mix = (a: number, b: number): number => Math.round(a + (b - a) * f);
  return `rgb(${mix(stops[i][0], stops[i + 1][0])},${mix(stops[i][1], stops[i + 1][1])},${mix(stops[i][2], stops[i + 1][2])})`;
}
