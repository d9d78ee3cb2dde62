/** a[t] > b[t]: a local helper, bundled with the strategies that import it. */
export function isAbove(a: Float64Array, b: Float64Array, t: number): boolean {
  return a[t] > b[t];
}
