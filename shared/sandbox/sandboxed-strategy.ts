import { createRequire } from 'node:module';
import type ivm from 'isolated-vm';
import { errorMessage, StrategyError } from '../errors.js';
import { checkIndicatorRequest, StrategyDefinitionError } from '../strategy-sdk/define-strategy.js';
import { requestKey, type IndicatorRequest } from '../strategy-sdk/indicator-requests.js';
import { ruleLoop } from '../strategy-sdk/rule-loop.js';
import { indicatorArray } from '../quant/strategies/indicator-request-arrays.js';
import { runDeclarative } from '../quant/strategies/sdk-strategy.js';
import type { SignalBuffer, StrategyInputs } from '../quant/strategies/types.js';
import { DEFAULT_SANDBOX_LIMITS, MIN_SANDBOX_MEMORY_MIB, SANDBOX_ARRAY_SHARE, type SandboxLimits } from './sandbox-limits.js';
import { sandboxProtocol } from './sandbox-protocol.js';

/** Longest text of a strategy's own error message repeated in ours. */
const MAX_MESSAGE = 300;
/** Rounds of indicator requests one combination may take (a strategy asks for what it needs, then runs). */
const MAX_REQUEST_ROUNDS = 3;

/**
 * Code every isolate runs before the strategy's bundle: sources of nondeterminism (the clock, random
 * numbers, Intl's current date, garbage-collection timing) and of shared memory that plain V8 offers are removed (V8 itself has no require, process, fetch or files; a
 * script's dynamic import() has no loader here and fails).
 */
const HARDEN = `
  delete globalThis.WebAssembly;
  delete globalThis.SharedArrayBuffer;
  delete globalThis.Atomics;
  delete globalThis.Intl;
  delete globalThis.WeakRef;
  delete globalThis.FinalizationRegistry;
  Math.random = function random() { throw new Error('Math.random is not available: a strategy must be deterministic'); };
  globalThis.Date = function Date() { throw new Error('Date is not available: a strategy must be deterministic'); };
`;

/**
 * isolated-vm, loaded when the first sandbox starts: a native module built at install, so a machine
 * where it did not build still runs everything but user strategies (and says why).
 */
let isolatedVm: typeof ivm | undefined;
function loadIsolatedVm(): typeof ivm {
  if (!isolatedVm) {
    try {
      isolatedVm = createRequire(import.meta.url)('isolated-vm') as typeof ivm;
    } catch (error) {
      throw new StrategyError(`user strategies cannot run on this machine: isolated-vm did not load (${errorMessage(error)}); run npm rebuild isolated-vm`);
    }
  }
  return isolatedVm;
}

function bounded(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

interface Api {
  describe: ivm.Reference;
  setSeries: ivm.Reference;
  supply: ivm.Reference;
  drop: ivm.Reference;
  run: ivm.Reference;
  plan: ivm.Reference;
  declarative: boolean;
}

/**
 * One user strategy (its bundled code) run in a V8 isolate of its own (isolated-vm): a separate
 * heap with a memory limit, no access to the agent's objects, Node's APIs or the network, and a
 * time limit over all its calls. One combination = one call, over the whole series; the series and
 * indicator arrays are copied in once per series; only target changes come out, and are checked.
 *
 * start() gives it a fresh isolate and a fresh time budget; signals() starts it when it has none.
 * The worker disposes every sandbox before each partition (sandbox-registry.ts), so a partition's
 * result never depends on what ran before it in this thread; a failure disposes the isolate too.
 */
export class SandboxedStrategy {
  private isolate: ivm.Isolate | undefined;
  private context: ivm.Context | undefined;
  private api: Api | undefined;
  private deadline = 0;
  private series: StrategyInputs | undefined;
  private readonly supplied = new Set<string>();
  private suppliedBytes = 0;
  readonly limits: SandboxLimits;

  /** `label` names the strategy in messages (e.g. "my-sma@3f2a…"). */
  constructor(
    readonly label: string,
    private readonly code: string,
    limits: Partial<SandboxLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SANDBOX_LIMITS, ...limits };
    if (!(this.limits.memoryMib >= MIN_SANDBOX_MEMORY_MIB)) throw new RangeError(`a strategy's memory limit is at least ${MIN_SANDBOX_MEMORY_MIB} MiB`);
    if (!(this.limits.timeoutMs > 0)) throw new RangeError('a strategy\'s time limit must be > 0 ms');
  }

  /** A fresh isolate with the strategy loaded, and the time budget restarted. */
  start(): void {
    this.dispose();
    this.deadline = Date.now() + this.limits.timeoutMs;
    const isolate = new (loadIsolatedVm().Isolate)({ memoryLimit: this.limits.memoryMib });
    this.isolate = isolate;
    try {
      const context = isolate.createContextSync();
      this.context = context;
      context.evalSync(HARDEN, { timeout: this.remaining() });
      // The bundle is an IIFE assigning its exports to __strategyModule (see strategy-bundle.ts).
      context.evalSync(`${this.code}\n;`, { timeout: this.remaining(), filename: `strategy:${this.label}` });
      context.evalSync(
        `globalThis.__quantgrid = (${sandboxProtocol.toString()})(typeof __strategyModule === 'undefined' ? undefined : __strategyModule, (${ruleLoop.toString()}), (${requestKey.toString()}));`,
        { timeout: this.remaining() },
      );
      const api = context.global.getSync('__quantgrid', { reference: true }) as ivm.Reference;
      const get = (name: string) => api.getSync(name, { reference: true }) as ivm.Reference;
      this.api = {
        describe: get('describe'),
        setSeries: get('setSeries'),
        supply: get('supply'),
        drop: get('drop'),
        run: get('run'),
        plan: get('plan'),
        declarative: api.getSync('declarative') === true,
      };
    } catch (error) {
      throw this.failure(error, 'loading');
    }
  }

  /** The strategy's static parts as it declares them (unchecked JSON: see strategy-manifest-check.ts). */
  describe(): unknown {
    const text = this.call(this.live().describe, [], 'describe');
    if (typeof text !== 'string') throw new StrategyError(`strategy ${this.label}: describe returned no text`);
    return JSON.parse(text);
  }

  /**
   * Writes the target changes of one combination into `out` (already reset): `values` are the swept
   * values in sweep order, `short` last; `from` and `initial` continue a run (as the engine's
   * StrategyDefinition.signals).
   */
  signals(inputs: StrategyInputs, values: Float64Array, allowShort: boolean, out: SignalBuffer, from = 0, initial = 0): void {
    if (!this.api) this.start();
    const api = this.live();
    if (api.declarative) return this.declarativeSignals(api, inputs, values, allowShort, out, from, initial);
    const n = inputs.close.length;
    if (this.series !== inputs) {
      this.call(api.setSeries, [inputs.open, inputs.high, inputs.low, inputs.close].map((column) => new (loadIsolatedVm().ExternalCopy)(column).copyInto({ release: true })), 'setSeries');
      this.series = inputs;
      this.supplied.clear();
      this.suppliedBytes = 0;
    }
    const args = [new (loadIsolatedVm().ExternalCopy)(values).copyInto({ release: true })];
    for (let round = 0; ; round++) {
      const answer = this.call(api.run, [...args, from, initial], 'run', true);
      if (answer instanceof Int32Array) return this.readChanges(answer, n, allowShort, out, from, initial);
      if (typeof answer !== 'string' || round >= MAX_REQUEST_ROUNDS) throw new StrategyError(`strategy ${this.label}: its indicators() keep asking for new arrays for the same parameters`);
      this.supply(inputs, answer);
      args[0] = new (loadIsolatedVm().ExternalCopy)(values).copyInto({ release: true });
    }
  }

  /**
   * A declarative strategy's combination: its requests, rule and warm-up come out of the sandbox as
   * JSON (one call), and the host checks them and runs the rule's compiled loop over its own
   * indicator arrays (runDeclarative, as for the built-in strategies).
   */
  private declarativeSignals(api: Api, inputs: StrategyInputs, values: Float64Array, allowShort: boolean, out: SignalBuffer, from: number, initial: number): void {
    const text = this.call(api.plan, [new (loadIsolatedVm().ExternalCopy)(values).copyInto({ release: true })], 'signal');
    let plan: { requests?: unknown; signal?: unknown; warmup?: unknown };
    try {
      if (typeof text !== 'string') throw new TypeError('no text');
      plan = JSON.parse(text);
      if (typeof plan !== 'object' || plan === null || typeof plan.requests !== 'object' || plan.requests === null) throw new TypeError('indicators(p) returned no object');
    } catch (error) {
      throw this.badAnswer(`a bad plan (${bounded(errorMessage(error))})`);
    }
    const warmup = plan.warmup === undefined ? undefined : typeof plan.warmup === 'number' ? plan.warmup : Number.NaN;
    try {
      runDeclarative(inputs, plan.requests as Record<string, IndicatorRequest>, plan.signal, warmup, allowShort, out, from, initial);
    } catch (error) {
      this.dispose();
      throw new StrategyError(`strategy ${this.label}: ${bounded(errorMessage(error))}`);
    }
  }

  dispose(): void {
    this.api = undefined;
    this.series = undefined;
    this.supplied.clear();
    this.suppliedBytes = 0;
    this.context?.release();
    this.context = undefined;
    if (this.isolate && !this.isolate.isDisposed) this.isolate.dispose();
    this.isolate = undefined;
  }

  private live(): Api {
    if (!this.api) throw new StrategyError(`strategy ${this.label}: not started (or disposed after a failure)`);
    return this.api;
  }

  private remaining(): number {
    const left = this.deadline - Date.now();
    if (left <= 0) throw new StrategyError(this.timeMessage());
    return left;
  }

  private timeMessage(): string {
    return `strategy ${this.label} exceeded its time limit of ${this.limits.timeoutMs} ms for this partition (an endless loop?)`;
  }

  private call(fn: ivm.Reference, args: unknown[], what: string, copyResult = false): unknown {
    try {
      const timeout = this.remaining();
      return copyResult ? fn.applySync(undefined, args, { timeout, result: { copy: true } }) : fn.applySync(undefined, args, { timeout });
    } catch (error) {
      throw this.failure(error, what);
    }
  }

  /** A StrategyError naming the strategy and the limit it hit; the isolate is gone after it. */
  private failure(error: unknown, what: string): StrategyError {
    if (error instanceof StrategyError) {
      this.dispose();
      return error;
    }
    const disposed = this.isolate?.isDisposed ?? true;
    const message = errorMessage(error);
    this.dispose();
    if (/memory limit/i.test(message) || (disposed && !/timed out/i.test(message))) {
      return new StrategyError(`strategy ${this.label} exceeded its memory limit of ${this.limits.memoryMib} MiB`);
    }
    if (/timed out/i.test(message)) return new StrategyError(this.timeMessage());
    return new StrategyError(`strategy ${this.label} failed in ${what}: ${bounded(message)}`);
  }

  /** Computes the requested arrays outside the sandbox and copies them in (dropping old ones over the budget). */
  private supply(inputs: StrategyInputs, json: string): void {
    let missing: Array<{ name: string; request: IndicatorRequest }>;
    try {
      missing = JSON.parse(json);
      if (!Array.isArray(missing)) throw new TypeError('not a list');
      for (const { name, request } of missing) checkIndicatorRequest(String(name), request);
    } catch (error) {
      this.dispose();
      const reason = error instanceof StrategyDefinitionError ? error.message : `bad indicator requests (${errorMessage(error)})`;
      throw new StrategyError(`strategy ${this.label}: ${bounded(reason)}`);
    }
    const api = this.live();
    const budget = this.limits.memoryMib * 1024 * 1024 * SANDBOX_ARRAY_SHARE;
    for (const { request } of missing) {
      const key = requestKey(request);
      if (this.supplied.has(key)) continue;
      let array: Float64Array;
      try {
        array = indicatorArray(inputs.indicators, request);
      } catch (error) {
        this.dispose();
        throw new StrategyError(`strategy ${this.label}: indicator ${key}: ${bounded(errorMessage(error))}`);
      }
      if (this.suppliedBytes + array.byteLength > budget && this.supplied.size > 0) {
        this.call(api.drop, [], 'drop');
        this.supplied.clear();
        this.suppliedBytes = 0;
      }
      this.call(api.supply, [key, new (loadIsolatedVm().ExternalCopy)(array).copyInto({ release: true })], 'supply');
      this.supplied.add(key);
      this.suppliedBytes += array.byteLength;
    }
  }

  /** Checks the packed changes (nothing from the sandbox is trusted) and writes them into out. */
  private readChanges(packed: Int32Array, n: number, allowShort: boolean, out: SignalBuffer, from: number, initial: number): void {
    if (packed.length % 2 !== 0 || packed.length / 2 > n) throw this.badAnswer('a malformed list of changes');
    let previousBar = from - 1;
    let current = initial;
    for (let i = 0; i < packed.length; i += 2) {
      const bar = packed[i];
      const target = packed[i + 1];
      if (!(bar > previousBar && bar < n)) throw this.badAnswer(`bar ${bar} out of order or range`);
      if (!(target === 1 || target === 0 || (target === -1 && allowShort)) || target === current) throw this.badAnswer(`target ${target} at bar ${bar}`);
      out.push(bar, target);
      previousBar = bar;
      current = target;
    }
  }

  private badAnswer(what: string): StrategyError {
    this.dispose();
    return new StrategyError(`strategy ${this.label} returned ${what}`);
  }
}
