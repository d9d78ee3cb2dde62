import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUserQuota, unitsOf } from '../../../coordinator/jobs/user-quota.js';
import { ResourceExhausted } from '../../../shared/errors.js';
import { noopKind } from '../../../shared/tasks/noop/index.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';

const noop = (partitions: number, owner = 'alice') => ({ kind: 'noop', owner, kindSpec: noopKind.validate({ partitions }, DEFAULT_SPEC_LIMITS) });

test('units are the kind\'s own measure of the normalised spec', () => {
  assert.equal(unitsOf(noop(7)), 7);
  assert.equal(unitsOf({ kind: 'no-such-kind', kindSpec: {} }), 0);
});

test('a user is refused past its unfinished jobs or units; other users\' jobs do not count', () => {
  const unfinished = [noop(10), noop(20), noop(1000, 'bob'), noop(5, 'carol')];
  const quota = { jobs: 3, units: 100 };
  checkUserQuota('alice', noop(70), unfinished, quota);
  assert.throws(() => checkUserQuota('alice', noop(71), unfinished, quota), (error: Error) => {
    assert.ok(error instanceof ResourceExhausted);
    assert.match(error.message, /user alice has 30 units of work unfinished; this job's 71 would pass the limit of 100 \(--max-queued-units-per-user\)/);
    return true;
  });
  assert.throws(() => checkUserQuota('alice', noop(1), [...unfinished, noop(1)], quota), /user alice has 3 unfinished jobs, the most one user may have \(--max-jobs-per-user 3\)/);
  checkUserQuota('dave', noop(100), unfinished, quota);
});
