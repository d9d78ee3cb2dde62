import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ACTIVE_MS, IDLE_INTERVAL_FACTOR, IDLE_SHARE, ProbeSchedule, type ProbeCandidate } from '../../../coordinator/nodes/probe-schedule.js';

const settled = (id: string, lastProbedAt: number, busy = false, activeAt: number | undefined = undefined): ProbeCandidate => ({ id, urgent: false, busy, lastProbedAt, activeAt });

/**
 * Runs the schedule over `nodes` settled nodes from t=0 to endMs in ticks, probing what it selects; returns the probes by node.
 * `active(id, now)`: whether the node is busy at `now` (the candidate's busy, and activeAt then).
 */
function simulate(schedule: ProbeSchedule, nodes: number, endMs: number, tickMs: number, busy: (id: string, now: number) => boolean = () => false): Map<string, number[]> {
  const last = new Map<string, number>();
  const activeAt = new Map<string, number>();
  const probes = new Map<string, number[]>();
  for (let i = 0; i < nodes; i++) {
    last.set(`n${i}`, -1_000_000 + i); // all probed long ago, in order
    probes.set(`n${i}`, []);
  }
  for (let now = 0; now <= endMs; now += tickMs) {
    const candidates = [...last].map(([id, at]) => {
      const isBusy = busy(id, now);
      if (isBusy) activeAt.set(id, now);
      return settled(id, at, isBusy, activeAt.get(id));
    });
    for (const id of schedule.select(candidates, now)) {
      last.set(id, now);
      probes.get(id)!.push(now);
    }
  }
  return probes;
}

const gaps = (times: number[]) => times.slice(1).map((t, i) => t - times[i]);

test('a node never probed, and an urgent one, are probed at once whatever the budget', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 1 });
  // Spend the whole budget first.
  assert.deepEqual(schedule.select([settled('old', -5000, true)], 0), ['old']);
  assert.deepEqual(schedule.select([settled('old2', -5000, true)], 10), [], 'budget spent');
  const picked = schedule.select(
    [settled('old2', -5000, true), { id: 'new', urgent: false, busy: false, lastProbedAt: undefined, activeAt: undefined }, { id: 'broken', urgent: true, busy: false, lastProbedAt: -5000, activeAt: 0 }],
    20,
  );
  assert.deepEqual(picked.sort(), ['broken', 'new']);
});

test('an urgent node is still asked at most once per interval', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 100 });
  assert.deepEqual(schedule.select([{ id: 'u', urgent: true, busy: false, lastProbedAt: 0, activeAt: 0 }], 500), []);
  assert.deepEqual(schedule.select([{ id: 'u', urgent: true, busy: false, lastProbedAt: 0, activeAt: 0 }], 1000), ['u']);
});

test('a node is active while busy and for ACTIVE_MS after, then settled', () => {
  assert.equal(ProbeSchedule.isActive(settled('b', 0, true), 0), true);
  assert.equal(ProbeSchedule.isActive(settled('never', 0), 1_000_000), false);
  assert.equal(ProbeSchedule.isActive(settled('recent', 0, false, 5000), 5000 + ACTIVE_MS - 1), true);
  assert.equal(ProbeSchedule.isActive(settled('recent', 0, false, 5000), 5000 + ACTIVE_MS), false);
});

test('with few busy nodes each is probed every interval', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 20 });
  const probes = simulate(schedule, 10, 10_000, 100, () => true);
  for (const [id, times] of probes) {
    assert.ok(times.length >= 10 && times.length <= 11, `${id}: ${times.length} probes in 10 s`);
    for (const gap of gaps(times)) assert.ok(gap >= 1000, `${id}: probes ${gap} ms apart, closer than the interval`);
  }
});

test('a settled idle node is asked every IDLE_INTERVAL_FACTOR intervals, not every interval', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 20 });
  const idleIntervalMs = 1000 * IDLE_INTERVAL_FACTOR;
  const probes = simulate(schedule, 10, 4 * idleIntervalMs, 100);
  for (const [id, times] of probes) {
    assert.ok(times.length >= 4 && times.length <= 5, `${id}: ${times.length} probes in ${4 * idleIntervalMs} ms`);
    for (const gap of gaps(times)) assert.ok(gap >= idleIntervalMs && gap <= idleIntervalMs + 100, `${id}: probes ${gap} ms apart`);
  }
});

test('a node that stops being busy stays on the interval for ACTIVE_MS, then is asked as idle', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 20 });
  const busyUntil = 10_000;
  const probes = simulate(schedule, 1, busyUntil + ACTIVE_MS + 3 * 1000 * IDLE_INTERVAL_FACTOR, 100, (_id, now) => now < busyUntil).get('n0')!;
  const activeProbes = probes.filter((t) => t < busyUntil + ACTIVE_MS);
  assert.ok(activeProbes.length >= (busyUntil + ACTIVE_MS) / 1000 - 1, `${activeProbes.length} probes while active`);
  for (const gap of gaps(probes.filter((t) => t >= busyUntil + ACTIVE_MS))) assert.ok(gap >= 1000 * IDLE_INTERVAL_FACTOR, `idle probes ${gap} ms apart`);
});

test('the total probe rate stays within the budget for any cluster size and mix, idle nodes within their share, and every node keeps being asked', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 400 }),
      fc.integer({ min: 1, max: 50 }),
      fc.constantFrom(100, 250, 500),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (nodes, rate, tickMs, busyFraction) => {
        const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: rate });
        const busyCount = Math.floor(nodes * busyFraction);
        const isBusy = (id: string) => Number(id.slice(1)) < busyCount;
        const seconds = 240;
        const probes = simulate(schedule, nodes, seconds * 1000, tickMs, isBusy);
        const count = (busy: boolean) => [...probes].filter(([id]) => isBusy(id) === busy).reduce((n, [, times]) => n + times.length, 0);
        // Each bucket starts full (one second's worth, at least one token).
        assert.ok(count(true) + count(false) <= rate * (seconds + 1), `${count(true) + count(false)} probes in ${seconds} s at ${rate}/s`);
        assert.ok(count(false) <= Math.max(1, rate * IDLE_SHARE) + rate * IDLE_SHARE * seconds, `${count(false)} idle probes in ${seconds} s`);
        // Round-robin within each class: busy ones share the budget; idle ones what is left of their share.
        const busyGapMs = Math.max(1000, (1000 * busyCount) / rate);
        const idleRate = Math.min(rate * IDLE_SHARE, Math.max(0, rate - (1000 * busyCount) / busyGapMs));
        // Idle: oldest first, so a due idle node waits at most for every other idle node to be asked once.
        const idleGapMs = idleRate > 0 ? 1000 * IDLE_INTERVAL_FACTOR + ((1000 * (nodes - busyCount)) / idleRate) : Infinity;
        for (const [id, times] of probes) {
          const expectedGapMs = isBusy(id) ? busyGapMs : idleGapMs;
          if (expectedGapMs * 2 > seconds * 1000) continue;
          assert.ok(times.length > 0, `${id} never probed`);
          for (const gap of gaps(times)) assert.ok(gap <= expectedGapMs + 2 * tickMs + 1000, `${id}: gap ${gap} ms, expected at most about ${expectedGapMs}`);
        }
      },
    ),
    { numRuns: 40 },
  );
});

test('1,000 settled idle nodes at the default 20/s cost 5 probes a second, each node asked about every 200 s', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 20 });
  const seconds = 600;
  const probes = simulate(schedule, 1000, seconds * 1000, 1000);
  const total = [...probes.values()].reduce((n, times) => n + times.length, 0);
  assert.ok(total <= 20 + 5 * seconds && total >= 5 * (seconds - 1), `${total} probes in ${seconds} s`);
  for (const [id, times] of probes) for (const gap of gaps(times)) assert.ok(gap >= 195_000 && gap <= 205_000, `${id}: probes ${gap} ms apart`);
});

test('busy nodes are asked before idle ones when the budget is short', () => {
  const schedule = new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 10 });
  const busy = (id: string) => id === 'n7' || id === 'n42';
  const probes = simulate(schedule, 200, 20_000, 100, busy);
  // 200 nodes at 10/s: idle ones share 2.5/s (about every 80 s); the busy ones every interval.
  for (const id of ['n7', 'n42']) assert.ok(probes.get(id)!.length >= 19, `${id} (busy): ${probes.get(id)!.length} probes in 20 s`);
  assert.ok(probes.get('n8')!.length <= 1, `n8 (idle): ${probes.get('n8')!.length} probes in 20 s`);
});

test('a budget of no probes is refused', () => {
  assert.throws(() => new ProbeSchedule({ intervalMs: 1000, maxPerSecond: 0 }), RangeError);
});
