/**
 * The loop that turns a strategy's per-bar rule into target changes, the one definition of what a
 * rule's answer means. It runs in the agent for the built-in strategies and, as source text, inside
 * a user strategy's sandbox (so it must stay self-contained: no imports, no closures over module
 * state). Each strategy gets its own compiled copy (specialiseRuleLoop), so the call of its rule is
 * monomorphic and inlined by the JIT.
 *
 *   from bar `start` on, at each close, ctx.position is the current target and the rule returns the
 *   target wanted from the next open: 1 long, 0 flat, −1 short (read as 0 when short is not
 *   allowed); anything else fails the run naming the bar. Only changes are written (bars[i], targets[i]).
 *
 * Returns the number of changes written.
 */
export type RuleLoop = (
  rule: (t: number, ctx: { position: number }) => unknown,
  ctx: { position: number },
  start: number,
  n: number,
  allowShort: boolean,
  bars: Int32Array,
  targets: Int8Array,
) => number;

export const ruleLoop: RuleLoop = function ruleLoop(rule, ctx, start, n, allowShort, bars, targets) {
  let current = ctx.position;
  let count = 0;
  const notLong = allowShort ? -1 : 0;
  ctx.position = current;
  for (let t = start < 0 ? 0 : start; t < n; t++) {
    const answer = rule(t, ctx);
    let want: number;
    if (answer === 1) want = 1;
    else if (answer === 0) want = 0;
    else if (answer === -1) want = notLong;
    else throw new TypeError(`the rule returned ${typeof answer === 'number' ? answer : typeof answer} at bar ${t}; a target is 1, 0 or -1`);
    if (want !== current) {
      bars[count] = t;
      targets[count] = want;
      count++;
      current = want;
      // Written on a change only: no store per bar, so the JIT keeps the rule's loads out of the loop.
      ctx.position = current;
    }
  }
  ctx.position = current;
  return count;
};

/** A fresh compiled copy of the loop (its own inline caches), for one strategy. */
export function specialiseRuleLoop(): RuleLoop {
  return new Function(`return (${ruleLoop.toString()});`)() as RuleLoop;
}
