import type { ComparisonOp } from '../../strategy-sdk/signal-rules.js';
import type { SignalBuffer } from './types.js';

/**
 * The loop a declarative rule (shared/strategy-sdk/signal-rules.ts) compiles to: one JavaScript
 * function per rule shape (which comparisons, of arrays or numbers, exact or not), generated once
 * and kept, so every combination of a sweep runs the same monomorphic loop over its own arrays,
 * with no call per bar (an exact comparison calls out only at the rare bars where the doubles are
 * too close to tell). The generated text holds only indexes and operators, never a strategy's
 * names or numbers: those arrive as arguments.
 *
 * Semantics, at each close t from `start` on (nothing decided before: flat):
 *  - longWhile(c): the target is 1 when c holds, else −1 (0 without short);
 *  - enterExit: from the target s held, exitLong (s = 1) or exitShort (s = −1) → 0; then, when
 *    flat, enterLong → 1, else enterShort → −1 (with short only).
 * A comparison is false while either side is NaN. Only changes are written. Continuing from bar
 * `start` with the target `initial` gives the changes a whole run writes from there.
 *
 * The loop runs per target held: a tight scan over the bars where that target cannot change (held
 * long under longWhile: while the comparison holds; under enterExit: until exitLong holds, …), then
 * the full step above at the bar where it may. The scan tests UNROLL (8) bars per step (skipWhile), then
 * goes on bar by bar from the step that stopped. A comparison is a pure function of the bar, so
 * evaluating it again (in the bar-by-bar scan, or in the step) decides the same (and exact
 * comparisons are called only where the doubles are too close to tell, in any of these places).
 */

/**
 * The exact sign of left − right where the doubles may hide it: where |left − right| ≤ margin, or,
 * for a Bollinger band, ≤ factor·(|mid| + (upper − mid)) at that bar.
 */
export interface ExactSign {
  readonly margin: number;
  readonly bandNear?: { readonly mid: Float64Array; readonly upper: Float64Array; readonly factor: number };
  sign(t: number): number;
}

export interface ResolvedComparison {
  readonly op: ComparisonOp;
  readonly left: Float64Array | number;
  readonly right: Float64Array | number;
  /** Undefined: the doubles decide (equal doubles are equal). */
  readonly exact?: ExactSign;
}

export type ResolvedRule =
  | { readonly kind: 'longWhile'; readonly when: ResolvedComparison }
  | {
      readonly kind: 'enterExit';
      readonly exitLong?: ResolvedComparison;
      readonly exitShort?: ResolvedComparison;
      readonly enterLong?: ResolvedComparison;
      readonly enterShort?: ResolvedComparison;
    };

type CompiledLoop = (
  arrays: readonly Float64Array[],
  constants: Float64Array,
  exact: ExactSign[],
  start: number,
  n: number,
  allowShort: boolean,
  initial: number,
  bars: Int32Array,
  targets: Int8Array,
) => number;

const SYMBOL: Readonly<Record<ComparisonOp, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };
const OPS: readonly string[] = Object.keys(SYMBOL);
/** Compiled loops by shape (a handful per strategy; bounded against a flood of user shapes). */
const compiled = new Map<string, CompiledLoop>();
const MAX_COMPILED = 256;

/** A condition's text at a bar, given the bar's index expression (`t`, `t + 3`, …). */
type Text = (at: string) => string;

/**
 * A condition of a scan, as two texts: `exact`, what the rule says; `sure`, a test that implies it
 * without calling out (the doubles alone, and only where they are farther apart than the exact
 * comparison's margin; for a comparison the doubles decide, the same as `exact`). The unrolled step
 * tests `sure`: a bar too close to tell stops the step, and the bar-by-bar scan decides it exactly.
 * A call in the step would make the compiled loop reload its arrays after every bar.
 */
interface Condition {
  readonly exact: Text;
  readonly sure: Text;
}

/** A comparison's texts: exact, and sure tests that it holds and that it does not. */
interface ComparisonText {
  readonly exact: Text;
  readonly sureTrue: Text;
  readonly sureFalse: Text;
}

const NO_TEXT: Text = () => '';
const NO_COMPARISON: ComparisonText = { exact: NO_TEXT, sureTrue: NO_TEXT, sureFalse: NO_TEXT };

/** The condition that the comparison holds. */
const holds = (c: ComparisonText): Condition => ({ exact: c.exact, sure: c.sureTrue });
/** The condition that it does not. */
const fails = (c: ComparisonText): Condition => ({ exact: (at) => `!${c.exact(at)}`, sure: c.sureFalse });

/** Bars a scan tests per step of its unrolled loop before it goes on bar by bar. */
const UNROLL = 8;
let unroll = UNROLL;

/**
 * Sets the bars per step of the scans compiled from now on (1: the plain bar-by-bar scan), and
 * returns the previous setting. For bench/ only (an A/B of the two scans in one process): every
 * setting decides the same.
 */
export function setScanUnroll(bars: number): number {
  if (!Number.isInteger(bars) || bars < 1 || bars > 64) throw new RangeError(`scan unroll must be an integer from 1 to 64, got ${bars}`);
  const previous = unroll;
  unroll = bars;
  return previous;
}

/**
 * The scan that skips the bars from t on where `cond` holds, leaving t at the first where it does
 * not (or n): first `unroll` bars at a time (one bound check and one increment per step, which is most
 * of a plain scan's cost) while the condition surely holds at each, then bar by bar, exactly, from
 * where a step stopped. The condition is a pure function of the bar, so testing a bar again in the
 * second loop decides the same.
 */
function skipWhile(cond: Condition): string {
  const plain = `while (t < n && (${cond.exact('t')})) t++;`;
  if (unroll === 1) return plain;
  const step = Array.from({ length: unroll }, (_, k) => `(${cond.sure(k === 0 ? 't' : `t + ${k}`)})`).join(' && ');
  return `while (t + ${unroll - 1} < n && ${step}) t += ${unroll}; ${plain}`;
}

/** What one combination's loop reads, gathered from its rule; reused (no allocation per combination once warm). */
class Operands {
  arrays: Float64Array[] = [];
  constants = new Float64Array(8);
  constantCount = 0;
  exact: ExactSign[] = [];
  /** The shape, as small numbers (the rule kind, then per comparison its operator, exactness and operands): a cheap key. */
  readonly shape: number[] = [];

  reset(): void {
    this.arrays.length = 0;
    this.constantCount = 0;
    this.exact.length = 0;
    this.shape.length = 0;
  }

  get key(): string {
    return String.fromCharCode.apply(null, this.shape);
  }

  /** The operand's number in the shape: an array's index, or 0x8000 + a number's. */
  operand(value: Float64Array | number): number {
    if (typeof value === 'number') {
      if (this.constantCount === this.constants.length) {
        const grown = new Float64Array(2 * this.constants.length);
        grown.set(this.constants);
        this.constants = grown;
      }
      this.constants[this.constantCount] = value;
      return 0x8000 + this.constantCount++;
    }
    let i = this.arrays.indexOf(value);
    if (i < 0) i = this.arrays.push(value) - 1;
    return i;
  }

  /**
   * Adds the comparison's operands and its part of the shape key; with `emit`, returns its texts in
   * the loop as functions of the bar's index expression (`t`, `t + 1`, …) — only wanted when the
   * shape is compiled for the first time.
   *
   * The sure tests of an exact comparison, d = left − right: that it holds, for gt and ge, d > 0 and
   * d beyond the margin (then the doubles decide, and d > 0 decides true); for lt and le, d < 0 and
   * −d beyond it; that it fails, the other way round. NaN fails both: the exact scan decides.
   */
  comparison(c: ResolvedComparison, emit: boolean): ComparisonText {
    const l = this.operand(c.left);
    const r = this.operand(c.right);
    // Only the engine's own operator texts reach the generated code (the rule was checked; this is the last guard).
    const opIndex = OPS.indexOf(c.op);
    if (opIndex < 0) throw new TypeError(`unknown comparison ${String(c.op)}`);
    const op = SYMBOL[c.op];
    const text = (k: number, at: string) => (k >= 0x8000 ? `c${k - 0x8000}` : `a${k}[${at}]`);
    if (c.exact === undefined || typeof c.left === 'number' || typeof c.right === 'number') {
      this.shape.push(opIndex, l, r);
      if (!emit) return NO_COMPARISON;
      const plain: Text = (at) => `(${text(l, at)} ${op} ${text(r, at)})`;
      return { exact: plain, sureTrue: plain, sureFalse: (at) => `!${plain(at)}` };
    }
    const x = this.exact.push(c.exact) - 1;
    const band = c.exact.bandNear !== undefined;
    // A margin of 0 (SmaOrder's: equal doubles only) is its own shape: |d| ≤ 0 is d === 0 (−0 too; NaN neither).
    const zero = !band && c.exact.margin === 0;
    this.shape.push(opIndex + (band ? 8 : zero ? 12 : 4), l, r);
    if (!emit) return NO_COMPARISON;
    const d = `d${x}`;
    const diff = (at: string) => `(${d} = a${l}[${at}] - a${r}[${at}])`;
    const above = c.op === 'gt' || c.op === 'ge';
    // d beyond the margin `limit` (a text, read after diff) on the side that makes the comparison hold, or fail.
    const sure = (prefix: Text, limit: string) => ({
      holds: (at: string) => `(${prefix(at)}, ${above ? `${d} > 0 && ${d} > ${limit}` : `${d} < 0 && -${d} > ${limit}`})`,
      fails: (at: string) => `(${prefix(at)}, ${above ? `${d} < 0 && -${d} > ${limit}` : `${d} > 0 && ${d} > ${limit}`})`,
    });
    if (zero) {
      const exact: Text = (at) => `(${diff(at)} === 0 ? x${x}.sign(${at}) ${op} 0 : ${d} ${op} 0)`;
      // Margin 0: beyond it is d ≠ 0, so the side alone is sure.
      return { exact, sureTrue: (at) => `(${diff(at)} ${above ? '>' : '<'} 0)`, sureFalse: (at) => `(${diff(at)} ${above ? '<' : '>'} 0)` };
    }
    if (!band) {
      const exact: Text = (at) => `(${diff(at)} <= m${x} && ${d} >= -m${x} ? x${x}.sign(${at}) ${op} 0 : ${d} ${op} 0)`;
      const s = sure(diff, `m${x}`);
      return { exact, sureTrue: s.holds, sureFalse: s.fails };
    }
    const w = `w${x}`;
    const q = `q${x}`;
    const near: Text = (at) => `${diff(at)}, ${w} = mid${x}[${at}], ${q} = f${x} * ((${w} < 0 ? -${w} : ${w}) + (up${x}[${at}] - ${w}))`;
    const exact: Text = (at) => `(${near(at)}, ${d} <= ${q} && -${d} <= ${q} ? x${x}.sign(${at}) ${op} 0 : ${d} ${op} 0)`;
    const s = sure(near, q);
    return { exact, sureTrue: s.holds, sureFalse: s.fails };
  }
}

const scratch = new Operands();

function prelude(o: Operands): string {
  const lines: string[] = [];
  o.arrays.forEach((_, i) => lines.push(`const a${i} = arrays[${i}];`));
  for (let i = 0; i < o.constantCount; i++) lines.push(`const c${i} = constants[${i}];`);
  o.exact.forEach((x, i) => {
    lines.push(`const x${i} = exact[${i}]; let d${i} = 0;`);
    if (x.bandNear === undefined) lines.push(`const m${i} = x${i}.margin;`);
    else lines.push(`const mid${i} = x${i}.bandNear.mid, up${i} = x${i}.bandNear.upper, f${i} = x${i}.bandNear.factor; let w${i} = 0, q${i} = 0;`);
  });
  return lines.join('\n');
}

const PUSH = 'if (next !== s) { bars[count] = t; targets[count] = next; count++; s = next; }';

/** Gathers the rule's operands into `o` and its shape key; with `emit`, returns the loop's source text. */
function source(rule: ResolvedRule, o: Operands, emit: boolean): string {
  let body = '';
  if (rule.kind === 'longWhile') {
    o.shape.push(0xf000);
    const when = o.comparison(rule.when, emit);
    if (emit) {
      // Held long: skip the bars where the comparison still holds (the first that fails is a change to
      // notLong); held at notLong: where it still fails. Any other target held (a continuation's flat
      // with short) is decided at its first bar.
      const scan = `if (s === 1) { ${skipWhile(holds(when))} next = notLong; } else if (s === notLong) { ${skipWhile(fails(when))} next = 1; } else next = ${when.exact('t')} ? 1 : notLong;`;
      body = `let t = start; while (t < n) { let next = 0; ${scan} if (t >= n) break; ${PUSH} t++; }`;
    }
  } else {
    o.shape.push(0xf001);
    const part = (c: ResolvedComparison | undefined): ComparisonText | undefined => {
      if (c === undefined) {
        o.shape.push(0xffff);
        return undefined;
      }
      return o.comparison(c, emit);
    };
    const exitLong = part(rule.exitLong);
    const exitShort = part(rule.exitShort);
    const enterLong = part(rule.enterLong);
    const enterShort = part(rule.enterShort);
    if (!emit) return '';
    const exits = [exitLong && `if (s > 0) { if (${exitLong.exact('t')}) next = 0; }`, exitShort && `${exitLong ? 'else ' : ''}if (s < 0) { if (${exitShort.exact('t')}) next = 0; }`].filter(Boolean).join(' ');
    const entries = [enterLong && `if (${enterLong.exact('t')}) next = 1;`, enterShort && `${enterLong ? 'else ' : ''}if (allowShort && ${enterShort.exact('t')}) next = -1;`].filter(Boolean).join(' ');
    // Per target held, the bars where nothing can happen are skipped (held long: until exitLong holds;
    // short: exitShort; flat: an entry); at the bar found, the step above decides as at any other bar.
    // Flat: idle while no entry holds (surely: enterLong surely fails, and enterShort does or short is off).
    const idle: Condition | undefined =
      enterLong || enterShort
        ? {
            exact: (at) => [enterLong && `!${enterLong.exact(at)}`, enterShort && `!(allowShort && ${enterShort.exact(at)})`].filter(Boolean).join(' && '),
            sure: (at) => [enterLong && enterLong.sureFalse(at), enterShort && `(!allowShort || ${enterShort.sureFalse(at)})`].filter(Boolean).join(' && '),
          }
        : undefined;
    const skip = (cond: Condition | undefined) => (cond ? skipWhile(cond) : 'break;');
    const scan = `if (s > 0) { ${skip(exitLong && fails(exitLong))} } else if (s < 0) { ${skip(exitShort && fails(exitShort))} } else { ${skip(idle)} }`;
    const step = `let next = s; ${exits} ${entries ? `if (next === 0) { ${entries} }` : ''} ${PUSH}`;
    body = `let t = start; while (t < n) { ${scan} if (t >= n) break; ${step} t++; }`;
  }
  if (!emit) return '';
  return `${prelude(o)}\nconst notLong = allowShort ? -1 : 0;\nlet s = initial;\nlet count = 0;\n${body}\nreturn count;`;
}

/** The compiled loop of the rule whose operands and shape are in `o` (compiled on first use of the shape). */
function loopOf(rule: ResolvedRule, o: Operands): CompiledLoop {
  source(rule, o, false);
  const key = unroll === UNROLL ? o.key : `${o.key}/${unroll}`;
  let loop = compiled.get(key);
  if (loop === undefined) {
    // The same walk again, now writing the text (the same operand indexes, so the same key).
    o.reset();
    const text = source(rule, o, true);
    loop = new Function('arrays', 'constants', 'exact', 'start', 'n', 'allowShort', 'initial', 'bars', 'targets', text) as CompiledLoop;
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(key, loop);
  }
  return loop;
}

/**
 * Writes the target changes of `rule` from bar `start` on into `out` (already reset, or holding
 * nothing yet), continuing from target `initial`.
 */
export function runSignalRule(rule: ResolvedRule, start: number, n: number, allowShort: boolean, initial: number, out: SignalBuffer): void {
  const o = scratch;
  o.reset();
  const loop = loopOf(rule, o);
  out.count = loop(o.arrays, o.constants, o.exact, start < 0 ? 0 : start, n, allowShort, initial, out.bar, out.target);
  o.reset();
}

/**
 * A rule's loop and operands, looked up once, to run over consecutive ranges of bars (a tiled
 * backtest: shared/tasks/backtest/blocked-simulation.ts). The loop's only state between two bars
 * is the target held, so a run over [a, b) from the target a whole run holds at the close of bar
 * a − 1 writes the changes the whole run writes in [a, b): the comparisons are pure functions of
 * the bar, and the unrolled scans only test bars below their range's end (`n`), deciding exactly
 * where they stop as anywhere else.
 */
export class CompiledSignalRule {
  private readonly loop: CompiledLoop;
  /** The arrays the loop reads (kept alive as long as this is). */
  readonly operands: readonly Float64Array[];
  private readonly constants: Float64Array;
  private readonly exact: ExactSign[];

  constructor(rule: ResolvedRule) {
    const o = scratch;
    o.reset();
    this.loop = loopOf(rule, o);
    this.operands = o.arrays.slice();
    this.constants = o.constants.slice(0, Math.max(1, o.constantCount));
    this.exact = o.exact.slice();
    o.reset();
  }

  /**
   * Writes into `out` (reset here; room for one change per bar of the range) the changes at bars
   * t with max(start, 0) ≤ t < n, continuing from target `initial`.
   */
  run(start: number, n: number, allowShort: boolean, initial: number, out: SignalBuffer): void {
    const from = start < 0 ? 0 : start;
    out.reset(n - from);
    out.count = this.loop(this.operands, this.constants, this.exact, from, n, allowShort, initial, out.bar, out.target);
  }
}
