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
  arrays: Float64Array[],
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
/** Compiled loops by shape (a handful per strategy; bounded against a flood of user shapes). */
const compiled = new Map<string, CompiledLoop>();
const MAX_COMPILED = 256;

/** What one combination's loop reads, gathered from its rule; reused (no allocation per combination once warm). */
class Operands {
  arrays: Float64Array[] = [];
  constants = new Float64Array(8);
  constantCount = 0;
  exact: ExactSign[] = [];
  key = '';

  reset(): void {
    this.arrays.length = 0;
    this.constantCount = 0;
    this.exact.length = 0;
    this.key = '';
  }

  operand(value: Float64Array | number): string {
    if (typeof value === 'number') {
      if (this.constantCount === this.constants.length) {
        const grown = new Float64Array(2 * this.constants.length);
        grown.set(this.constants);
        this.constants = grown;
      }
      this.constants[this.constantCount] = value;
      return `c${this.constantCount++}`;
    }
    let i = this.arrays.indexOf(value);
    if (i < 0) i = this.arrays.push(value) - 1;
    return `a${i}`;
  }

  /** The comparison's text in the loop (t the bar), and its part of the shape key. */
  comparison(c: ResolvedComparison): string {
    const left = this.operand(c.left);
    const right = this.operand(c.right);
    // Only the engine's own operator texts reach the generated code (the rule was checked; this is the last guard).
    if (!Object.prototype.hasOwnProperty.call(SYMBOL, c.op)) throw new TypeError(`unknown comparison ${String(c.op)}`);
    const op = SYMBOL[c.op];
    if (c.exact === undefined || typeof c.left === 'number' || typeof c.right === 'number') {
      const l = left[0] === 'a' ? `${left}[t]` : left;
      const r = right[0] === 'a' ? `${right}[t]` : right;
      this.key += `${c.op}(${left},${right})`;
      return `(${l} ${op} ${r})`;
    }
    const x = this.exact.push(c.exact) - 1;
    const d = `d${x}`;
    const diff = `(${d} = ${left}[t] - ${right}[t])`;
    if (c.exact.bandNear === undefined) {
      this.key += `${c.op}(${left},${right},m${x})`;
      return `(${diff} <= m${x} && ${d} >= -m${x} ? x${x}.sign(t) ${op} 0 : ${d} ${op} 0)`;
    }
    this.key += `${c.op}(${left},${right},b${x})`;
    const w = `w${x}`;
    const q = `q${x}`;
    return `(${diff}, ${w} = mid${x}[t], ${q} = f${x} * ((${w} < 0 ? -${w} : ${w}) + (up${x}[t] - ${w})), ${d} <= ${q} && -${d} <= ${q} ? x${x}.sign(t) ${op} 0 : ${d} ${op} 0)`;
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

function source(rule: ResolvedRule, o: Operands): string {
  let body: string;
  if (rule.kind === 'longWhile') {
    const when = o.comparison(rule.when);
    o.key = `L:${o.key}`;
    body = `for (let t = start; t < n; t++) { const next = ${when} ? 1 : notLong; ${PUSH} }`;
  } else {
    const text = (c: ResolvedComparison | undefined, tag: string): string | undefined => {
      o.key += `${tag}:`;
      return c === undefined ? undefined : o.comparison(c);
    };
    const exitLong = text(rule.exitLong, 'XL');
    const exitShort = text(rule.exitShort, 'XS');
    const enterLong = text(rule.enterLong, 'EL');
    const enterShort = text(rule.enterShort, 'ES');
    o.key = `E:${o.key}`;
    const exits = [exitLong && `if (s > 0) { if (${exitLong}) next = 0; }`, exitShort && `${exitLong ? 'else ' : ''}if (s < 0) { if (${exitShort}) next = 0; }`].filter(Boolean).join(' ');
    const entries = [enterLong && `if (${enterLong}) next = 1;`, enterShort && `${enterLong ? 'else ' : ''}if (allowShort && ${enterShort}) next = -1;`].filter(Boolean).join(' ');
    body = `for (let t = start; t < n; t++) { let next = s; ${exits} ${entries ? `if (next === 0) { ${entries} }` : ''} ${PUSH} }`;
  }
  return `${prelude(o)}\nconst notLong = allowShort ? -1 : 0;\nlet s = initial;\nlet count = 0;\n${body}\nreturn count;`;
}

/**
 * Writes the target changes of `rule` from bar `start` on into `out` (already reset, or holding
 * nothing yet), continuing from target `initial`.
 */
export function runSignalRule(rule: ResolvedRule, start: number, n: number, allowShort: boolean, initial: number, out: SignalBuffer): void {
  const o = scratch;
  o.reset();
  const text = source(rule, o);
  let loop = compiled.get(o.key);
  if (loop === undefined) {
    loop = new Function('arrays', 'constants', 'exact', 'start', 'n', 'allowShort', 'initial', 'bars', 'targets', text) as CompiledLoop;
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(o.key, loop);
  }
  out.count = loop(o.arrays, o.constants, o.exact, start < 0 ? 0 : start, n, allowShort, initial, out.bar, out.target);
  o.reset();
}
