import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job as BullJob } from 'bullmq';
import { EndedJobs } from '../../../coordinator/jobs/ended-jobs.js';
import type { QueuedJobData } from '../../../coordinator/jobs/job-model.js';

const job = (id: string) => ({ id }) as unknown as BullJob<QueuedJobData, string>;

test('a job that ended here is kept for its state only, for a short while', () => {
  let now = 1_000_000;
  const ended = new EndedJobs(() => now);
  const a = job('a');
  ended.remember(a, 'completed');
  assert.equal(ended.get('a', 'completed'), a);
  assert.equal(ended.get('a', 'failed'), undefined, 'another state reads the record');
  assert.equal(ended.get('b', 'completed'), undefined);
  now += EndedJobs.KEPT_MS;
  assert.equal(ended.get('a', 'completed'), a);
  now += 1;
  assert.equal(ended.get('a', 'completed'), undefined, 'too old: read the record');
});

test('at most MAX_KEPT jobs, the oldest go first', () => {
  const ended = new EndedJobs(() => 0);
  for (let i = 0; i <= EndedJobs.MAX_KEPT; i++) ended.remember(job(`j${i}`), 'failed');
  assert.equal(ended.get('j0', 'failed'), undefined);
  assert.ok(ended.get('j1', 'failed'));
  assert.ok(ended.get(`j${EndedJobs.MAX_KEPT}`, 'failed'));
  // Remembered again, a job is the newest.
  ended.remember(job('j1'), 'failed');
  ended.remember(job('new'), 'failed');
  assert.ok(ended.get('j1', 'failed'));
  assert.equal(ended.get('j2', 'failed'), undefined);
});
