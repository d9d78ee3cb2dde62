import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobLeases } from '../../../coordinator/jobs/job-lease.js';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

test('a lease is held while renewals come within the lock less its margin, and lost for good past it', () => {
  const time = clock();
  const leases = new JobLeases(10_000, time.now);
  assert.equal(leases.validMs, 9_000, 'a 10 s lock: 1 s of margin');
  const lost: string[] = [];
  const lease = leases.take('j1', (reason) => lost.push(reason));
  time.advance(5_000);
  leases.renewed(['j1']);
  time.advance(8_999);
  assert.equal(lease.held(), true);
  time.advance(2);
  assert.equal(lease.held(), false, 'past 9 s since the last renewal the lock may have lapsed');
  assert.equal(lost.length, 1);
  assert.match(lost[0], /last renewed 9001 ms ago/);
  leases.renewed(['j1']);
  assert.equal(lease.held(), false, 'a renewal does not bring a lost lease back');
  assert.equal(lost.length, 1, 'onLost runs once');
});

test('a coordinator resumed after a pause is fenced by the first question it asks, before any timer runs', () => {
  const time = clock();
  const leases = new JobLeases(2_000, time.now);
  let fenced = 0;
  const lease = leases.take('j1', () => fenced++);
  time.advance(6_000); // SIGSTOP … SIGCONT
  assert.equal(fenced, 0, 'nothing happens while nobody asks');
  assert.equal(lease.held(), false);
  assert.equal(fenced, 1, 'fenced synchronously, inside the call that asked');
});

test('a failed renewal loses the lease at once; the periodic check fences leases nobody asks about', () => {
  const time = clock();
  const leases = new JobLeases(2_000, time.now);
  const reasons = new Map<string, string>();
  const a = leases.take('a', (reason) => reasons.set('a', reason));
  const b = leases.take('b', (reason) => reasons.set('b', reason));
  leases.lost(['a']);
  assert.equal(a.held(), false);
  assert.match(reasons.get('a')!, /could not be renewed/);
  assert.equal(b.held(), true);
  time.advance(1_700);
  leases.check();
  assert.match(reasons.get('b')!, /last renewed 1700 ms ago, past its 1600 ms/);
  // Releasing an earlier run's lease leaves the later run's lease of the same job in place.
  leases.release(b);
  const again = leases.take('b', () => reasons.set('b2', 'lost'));
  leases.release(b);
  leases.lost(['b']);
  assert.equal(again.held(), false);
  assert.equal(reasons.get('b2'), 'lost');
});
