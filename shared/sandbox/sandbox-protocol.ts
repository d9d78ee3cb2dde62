/**
 * The code that runs inside a user strategy's isolate beside the strategy's bundle: it holds the
 * series and the indicator arrays copied in, runs one combination per call over the whole series
 * (the rule loop, JIT-compiled in the isolate) and hands back only the target changes. Injected as
 * source text (Function.prototype.toString), so it is self-contained: everything it uses arrives
 * as arguments, and it must not import anything.
 *
 * Nothing it returns is trusted: the host checks every answer (sandboxed-strategy.ts).
 */
export interface SandboxApi {
  /** The strategy's static parts, as JSON text (functions left out). */
  describe(): string;
  /** Replaces the series (each column copied in) and forgets the indicator arrays of the last. */
  setSeries(open: Float64Array, high: Float64Array, low: Float64Array, close: Float64Array): void;
  /** Stores an indicator array under its request key. */
  supply(key: string, values: Float64Array): void;
  /** Forgets every indicator array (the host keeps their bytes under a budget). */
  drop(): void;
  /**
   * One combination (swept values in sweep order, `short` last), deciding bars ≥ from starting from
   * target `initial` (0 and 0 for a whole run): its target changes packed as
   * [bar, target, bar, target, …], or the JSON text of the indicator requests not yet supplied.
   */
  run(values: Float64Array, from: number, initial: number): Int32Array | string;
  /** Whether the strategy decides by a declarative `signal` (plan) rather than a `rule` function (run). */
  readonly declarative: boolean;
  /**
   * For a declarative strategy, one combination (as for run): the JSON text of
   * { requests, signal, warmup? } — what its indicators(p), signal(p) and warmup(p) return. The host
   * checks it and runs the rule's compiled loop itself, over its own arrays (none is copied in).
   */
  plan(values: Float64Array): string;
}

type AnyFunction = (...args: never[]) => unknown;

export function sandboxProtocol(moduleExports: Record<string, unknown>, loop: AnyFunction, keyOf: AnyFunction): SandboxApi {
  const strategy = (moduleExports && (moduleExports.default ?? moduleExports.strategy)) as {
    sdkVersion?: number;
    name: string;
    description?: string;
    params: Record<string, unknown>;
    constraint?: unknown;
    indicators: (p: Record<string, number>) => Record<string, { indicator: string; args: number[]; output: number }>;
    warmup?: (p: Record<string, number>) => number;
    rule?: (t: number, ctx: unknown) => unknown;
    signal?: (p: Record<string, number>) => unknown;
  };
  if (typeof strategy !== 'object' || strategy === null || strategy.sdkVersion !== 1) {
    throw new TypeError('the module must export a strategy made by defineStrategy() (export default defineStrategy({ … }))');
  }
  const names = Object.keys(strategy.params);
  const ruleLoop = loop as unknown as (rule: unknown, ctx: { position: number }, start: number, n: number, allowShort: boolean, bars: Int32Array, targets: Int8Array) => number;
  const requestKey = keyOf as unknown as (r: unknown) => string;
  const arrays = new Map<string, Float64Array>();
  let open: Float64Array = new Float64Array(0);
  let high = open;
  let low = open;
  let close = open;
  let bars = new Int32Array(1);
  let targets = new Int8Array(1);
  const valuesOf = (values: Float64Array): Record<string, number> => {
    const p: Record<string, number> = {};
    for (let i = 0; i < names.length; i++) p[names[i]] = values[i];
    p.short = values[names.length] === 1 ? 1 : 0;
    return p;
  };

  return {
    describe() {
      return JSON.stringify({ name: strategy.name, description: strategy.description, params: strategy.params, constraint: strategy.constraint, sdkVersion: strategy.sdkVersion });
    },
    setSeries(o, h, l, c) {
      open = o;
      high = h;
      low = l;
      close = c;
      arrays.clear();
      if (bars.length < c.length) {
        bars = new Int32Array(c.length);
        targets = new Int8Array(c.length);
      }
    },
    supply(key, values) {
      arrays.set(key, values);
    },
    drop() {
      arrays.clear();
    },
    declarative: typeof strategy.signal === 'function',
    plan(values) {
      const p = valuesOf(values);
      const requests = strategy.indicators(p);
      const signal = (strategy.signal as (p: Record<string, number>) => unknown)(p);
      return JSON.stringify({ requests, signal, warmup: strategy.warmup ? Number(strategy.warmup(p)) : undefined });
    },
    run(values, from, initial) {
      const p = valuesOf(values);
      const allowShort = p.short === 1;
      const requests = strategy.indicators(p);
      const ind: Record<string, Float64Array> = {};
      const missing: unknown[] = [];
      let firstDefined = 0;
      for (const name of Object.keys(requests)) {
        const request = requests[name];
        const array = arrays.get(requestKey(request));
        if (array === undefined) {
          missing.push({ name, request });
          continue;
        }
        ind[name] = array;
        let t = 0;
        while (t < array.length && array[t] !== array[t]) t++;
        if (t > firstDefined) firstDefined = t;
      }
      if (missing.length > 0) return JSON.stringify(missing);
      const n = close.length;
      let start = strategy.warmup ? Number(strategy.warmup(p)) : firstDefined;
      if (!(start === start)) start = n;
      if (start < from) start = from;
      const ctx = { p, ind, open, high, low, close, n, allowShort, position: initial };
      const count = ruleLoop(strategy.rule, ctx, start, n, allowShort, bars, targets);
      const packed = new Int32Array(2 * count);
      for (let i = 0; i < count; i++) {
        packed[2 * i] = bars[i];
        packed[2 * i + 1] = targets[i];
      }
      return packed;
    },
  };
}
