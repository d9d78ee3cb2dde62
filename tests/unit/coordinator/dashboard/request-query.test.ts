import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesJobFilter, pageOf, parseAfterQuery, parseJobsQuery, parsePointsQuery } from '../../../../coordinator/dashboard/request-query.js';
import { ValidationError } from '../../../../shared/errors.js';

const q = (text: string) => new URLSearchParams(text);
const invalid = (field: string) => (error: unknown) => error instanceof ValidationError && error.field === field;

test('the jobs query: the CLI\'s status names, filters, page and limit with defaults', () => {
  assert.deepEqual(parseJobsQuery(q('')), { status: undefined, owner: undefined, kind: undefined, name: undefined, schedule: undefined, page: 1, limit: 50 });
  const filter = parseJobsQuery(q('status=waiting&owner=sam&kind=noop&name=Sweep&schedule=nightly&page=3&limit=1000'));
  assert.deepEqual(filter, { status: 'JOB_STATUS_WAITING_FOR_NODES', owner: 'sam', kind: 'noop', name: 'sweep', schedule: 'nightly', page: 3, limit: 1000 });
  assert.equal(parseJobsQuery(q('status=WAITING_FOR_NODES')).status, 'JOB_STATUS_WAITING_FOR_NODES');
  assert.throws(() => parseJobsQuery(q('status=done')), invalid('status'));
  assert.throws(() => parseJobsQuery(q('limit=0')), invalid('limit'));
  assert.throws(() => parseJobsQuery(q('limit=1001')), invalid('limit'));
  assert.throws(() => parseJobsQuery(q('page=1.5')), invalid('page'));
  assert.throws(() => parseJobsQuery(q(`owner=${'x'.repeat(201)}`)), invalid('owner'));
});

test('matching and paging', () => {
  const jobs = [
    { status: 'JOB_STATUS_COMPLETED', owner: 'sam', kind: 'noop', name: 'Nightly sweep', schedule: 'n' },
    { status: 'JOB_STATUS_FAILED', owner: 'sue', kind: 'backtest', name: 'other', schedule: '' },
  ];
  const match = (text: string) => jobs.filter((job) => matchesJobFilter(job, parseJobsQuery(q(text)))).map((job) => job.owner);
  assert.deepEqual(match('name=SWEEP'), ['sam']);
  assert.deepEqual(match('status=failed'), ['sue']);
  assert.deepEqual(match('kind=noop&owner=sue'), []);
  assert.deepEqual(match('schedule=n'), ['sam']);
  assert.deepEqual(pageOf([1, 2, 3, 4, 5], 2, 2), { items: [3, 4], total: 5, page: 2, limit: 2, pages: 3 });
  assert.deepEqual(pageOf([], 1, 50), { items: [], total: 0, page: 1, limit: 50, pages: 1 });
  assert.deepEqual(pageOf([1], 9, 50).items, []);
});

test('after, limit and points', () => {
  assert.deepEqual(parseAfterQuery(q('')), { after: '0', limit: 1000 });
  assert.deepEqual(parseAfterQuery(q('after=1700000000000-3&limit=10')), { after: '1700000000000-3', limit: 10 });
  assert.throws(() => parseAfterQuery(q('after=-')), invalid('after'));
  assert.equal(parsePointsQuery(q('')), 1000);
  assert.equal(parsePointsQuery(q('points=2')), 2);
  assert.throws(() => parsePointsQuery(q('points=1')), invalid('points'));
  assert.throws(() => parsePointsQuery(q('points=10001')), invalid('points'));
});
