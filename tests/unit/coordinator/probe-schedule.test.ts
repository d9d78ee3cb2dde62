import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ProbeSchedule, type ProbeCandidate } from '../../../coordinator/nodes/probe-schedule.js';

const settled = (id: string, lastProbedAt: number, busy = false): ProbeCandidate => ({ id, urgent: false, busy, lastProbedAt });

/** Runs the schedule over `nodes` settled nodes from t=0 to endMs in ticks, probing what it selects; returns the probes by node. */
function simulate(schedule: ProbeSchedule, nodes: number, endMs: number, tickMs: number, busy: (id: string) => boolean = () => false): Map<string, number[]> {
  const last = new Map<string, number>();
  const probes = new Map<string, number[]>();
  for (let i = 0; i < nodes; i++) {
    last.set(`n${i}`, -1_000_000 + i); // all probed long ago, in order
    probes.set(`n${i}`, []);
  }
  for (let now = 0; now <= endMs; now += tickMs) {
    const candidates = [...last].map(([id, at]) => settled(id, at, busy(id)));
    for (const id of schedule.select(candidates, now)) {
      last.set(id, now);
      probes.get(id)!.push(now);
    }
  }
  return probes;
}

test('a node never probed, and an urgent one, are probed at once whatever the budget', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 1 });
  // Spend the whole budget first.
  assert.deepEqual(schedule.select([settled('old', -5000)], 0), ['old']);
  assert.deepEqual(schedule.select([settled('old2', -5000)], 10), [], 'budget spent');
  const picked = schedule.select(
    [settled('old2', -5000), { id: 'new', urgent: false, busy: false, lastProbedAt: undefined }, { id: 'broken', urgent: true, busy: false, lastProbedAt: -5000 }],
    20,
  );
  assert.deepEqual(picked.sort(), ['broken', 'new']);
});

test('an urgent node is still asked at most once per interval', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 100 });
  assert.deepEqual(schedule.select([{ id: 'u', urgent: true, busy: false, lastProbedAt: 0 }], 500), []);
  assert.deepEqual(schedule.select([{ id: 'u', urgent: true, busy: false, lastProbedAt: 0 }], 1000), ['u']);
});

test('with few nodes each is probed every interval', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 20 });
  const probes = simulate(schedule, 10, 10_000, 100);
  for (const [id, times] of probes) {
    assert.ok(times.length >= 10 && times.length <= 11, `${id}: ${times.length} probes in 10 s`);
    for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 1000, `${id}: probes ${times[i - 1]} and ${times[i]} closer than the interval`);
  }
});

test('the total probe rate stays within the budget for any cluster size, and every node keeps being asked', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 600 }), fc.integer({ min: 1, max: 50 }), fc.constantFrom(50, 100, 250), (nodes, rate, tickMs) => {
      const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: rate });
      const seconds = 30;
      const probes = simulate(schedule, nodes, seconds * 1000, tickMs);
      const total = [...probes.values()].reduce((n, times) => n + times.length, 0);
      // The bucket starts full (one second's worth): at most rate × (seconds + 1) in all.
      assert.ok(total <= rate * (seconds + 1), `${total} probes in ${seconds} s at ${rate}/s`);
      // Round-robin: with N nodes at `rate`, each waits about N / rate seconds (at least the interval).
      const expectedGapMs = Math.max(1000, (1000 * nodes) / rate);
      if (expectedGapMs * 2 < seconds * 1000) {
        for (const [id, times] of probes) {
          assert.ok(times.length > 0, `${id} never probed`);
          for (let i = 1; i < times.length; i++) {
            assert.ok(times[i] - times[i - 1] <= expectedGapMs + 2 * tickMs + 1000, `${id}: gap ${times[i] - times[i - 1]} ms, expected about ${expectedGapMs}`);
          }
        }
      }
    }),
    { numRuns: 60 },
  );
});

test('busy nodes are asked before idle ones when the budget is short', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 10 });
  const busy = (id: string) => id === 'n7' || id === 'n42';
  const probes = simulate(schedule, 200, 20_000, 100, busy);
  // 200 nodes at 10/s: idle ones about every 20 s; the busy ones every interval.
  for (const id of ['n7', 'n42']) assert.ok(probes.get(id)!.length >= 19, `${id} (busy): ${probes.get(id)!.length} probes in 20 s`);
  assert.ok(probes.get('n8')!.length <= 2, `n8 (idle): ${probes.get('n8')!.length} probes in 20 s`);
});

test('a budget of no probes is refused', () => {
  assert.throws(() => new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 0 }), RangeError);
});
