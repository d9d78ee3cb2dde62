import assert from 'node:assert/strict';
import { ValidationError } from '../../shared/errors.js';
import { QUIET_RUN_CONTEXT } from '../../shared/tasks/quiet-run-context.js';
import type { TaskKind } from '../../shared/tasks/task-kind.js';

/** A JSON round trip: partitions and partials cross the network as JSON. */
function overTheWire<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Plans a spec into `partitions`, runs each partition as an agent would, and merges, as the coordinator does. */
export function runPartitioned<Spec, Partition, Partial, Result>(
  kind: TaskKind<Spec, Partition, Partial, Result>,
  spec: Spec,
  partitions: number,
): { plan: Partition[]; result: Result } {
  const plan = kind.plan(spec, { partitions });
  const partials = plan.map((partition) => overTheWire(kind.run(spec, overTheWire(partition), QUIET_RUN_CONTEXT)));
  return { plan, result: kind.merge(spec, partials) };
}

/** The field a validation failure names; fails the test when fn does not throw a ValidationError. */
export function fieldOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    return error.field;
  }
  assert.fail('expected a ValidationError');
}

/** A plan of contiguous unit ranges: at most `target` non-empty partitions covering every unit exactly once. */
export function assertCoversEveryUnitOnce(plan: ReadonlyArray<{ first: number; count: number }>, units: number, target: number): void {
  assert.ok(plan.length >= 1 && plan.length <= target, `${plan.length} partitions for a target of ${target}`);
  const seen = new Uint8Array(units);
  for (const partition of plan) {
    assert.ok(partition.count >= 1, 'no empty partition');
    for (let unit = partition.first; unit < partition.first + partition.count; unit++) seen[unit]++;
  }
  assert.ok(seen.every((count) => count === 1), 'every unit exactly once');
}
