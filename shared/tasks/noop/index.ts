import { ValidationError } from '../../errors.js';
import type { TaskKind } from '../task-kind.js';

/** A kind that does nearly nothing: for dispatch benchmarks and failure tests. */
export interface NoopSpec {
  partitions: number;
  workMs: number;
  /** Index of a partition that always throws (tests of deterministic failure), or -1. */
  failPartition: number;
}

export interface NoopPartition {
  first: number;
  count: number;
}

export interface NoopPartial {
  count: number;
  sum: number;
}

export interface NoopResult {
  partitions: number;
  /** Sum of all partition indexes: proves every index ran exactly once. */
  checksum: number;
}

export const MAX_NOOP_PARTITIONS = 1_000_000;
export const MAX_NOOP_WORK_MS = 600_000;

/** What a noop spec that leaves a field out gets (proto: `optional uint32 partitions`). */
export const NOOP_DEFAULTS = { partitions: 4, workMs: 0 } as const;
export const NOOP_LIMITS = { maxPartitions: MAX_NOOP_PARTITIONS, maxWorkMs: MAX_NOOP_WORK_MS } as const;

function busyWait(ms: number, isCancelled: () => boolean): void {
  const end = performance.now() + ms;
  let spins = 0;
  while (performance.now() < end) {
    if ((++spins & 0x3ff) === 0 && isCancelled()) return;
  }
}

export const noopKind: TaskKind<NoopSpec, NoopPartition, NoopPartial, NoopResult, 'noop'> = {
  name: 'noop',
  description: 'a job of partitions that only busy-wait: for benchmarks and failure tests',
  specMember: 'noop',
  specField: 'noop',
  defaults: NOOP_DEFAULTS,
  limits: NOOP_LIMITS,
  version: '1',
  capabilities: ['noop'],
  cacheable: false,
  sampleSpecs: [{}, { partitions: 3, workMs: 5, failPartition: '2' }],

  validate(raw, limits) {
    const input = (raw ?? {}) as { partitions?: number; workMs?: number; failPartition?: string };
    const partitions = input.partitions ?? NOOP_DEFAULTS.partitions;
    const most = Math.min(MAX_NOOP_PARTITIONS, limits.maxUnits);
    if (!Number.isInteger(partitions) || partitions < 1 || partitions > most) {
      throw new ValidationError('noop.partitions', `must be an integer from 1 to ${most}`);
    }
    const workMs = input.workMs ?? NOOP_DEFAULTS.workMs;
    if (!Number.isFinite(workMs) || workMs < 0 || workMs > MAX_NOOP_WORK_MS) {
      throw new ValidationError('noop.work_ms', `must be from 0 to ${MAX_NOOP_WORK_MS}`);
    }
    let failPartition = -1;
    if (input.failPartition) {
      failPartition = Number(input.failPartition);
      if (!Number.isInteger(failPartition) || failPartition < 0 || failPartition >= partitions) {
        throw new ValidationError('noop.fail_partition', `must be a partition index from 0 to ${partitions - 1}`);
      }
    }
    return { partitions, workMs, failPartition };
  },

  datasets: () => [],

  toWire(spec) {
    return { partitions: spec.partitions, workMs: spec.workMs, failPartition: spec.failPartition < 0 ? '' : String(spec.failPartition) };
  },

  measure(spec) {
    return { units: spec.partitions, costPerUnit: 1 + spec.workMs * 1e5 };
  },

  // A noop job asks for an exact partition count, so the plan ignores the target.
  plan(spec) {
    const partitions: NoopPartition[] = new Array(spec.partitions);
    for (let i = 0; i < spec.partitions; i++) partitions[i] = { first: i, count: 1 };
    return partitions;
  },

  run(spec, partition, context) {
    let sum = 0;
    for (let i = partition.first; i < partition.first + partition.count; i++) {
      if (i === spec.failPartition) {
        context.warn?.(`noop partition ${i} is about to fail on purpose`);
        throw new Error(`noop partition ${i} fails on purpose`);
      }
      if (spec.workMs > 0) busyWait(spec.workMs, context.isCancelled);
      sum += i;
    }
    context.reportProgress(1);
    return { count: partition.count, sum };
  },

  merge(_spec, partials) {
    let partitions = 0;
    let checksum = 0;
    for (const partial of partials) {
      partitions += partial.count;
      checksum += partial.sum;
    }
    return { partitions, checksum };
  },
};
