/**
 * At most one call of `emit` per interval; the calls dropped in between are counted and passed to
 * the next one that goes through. For lines a caller can provoke at will (refused calls), so that a
 * flood of them cannot flood the log.
 */
export function throttle<Args extends unknown[]>(intervalMs: number, emit: (suppressed: number, ...args: Args) => void, now: () => number = Date.now): (...args: Args) => void {
  let last = -Infinity;
  let suppressed = 0;
  return (...args) => {
    const at = now();
    if (at - last < intervalMs) {
      suppressed += 1;
      return;
    }
    last = at;
    emit(suppressed, ...args);
    suppressed = 0;
  };
}
