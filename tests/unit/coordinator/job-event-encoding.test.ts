import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMPACT_FIELD, decodeJobEvent, encodeJobEvent, WHOLE_FIELD } from '../../../coordinator/jobs/job-event-encoding.js';
import { toJobProgress, type ProgressSnapshot } from '../../../coordinator/jobs/job-model.js';
import type { JobEvent } from '../../../shared/generated/quantgrid/v1/JobEvent.js';

/** What a reader got before compact entries: the event through JSON. */
const throughJson = (event: JobEvent): unknown => JSON.parse(JSON.stringify(event));

/** Numbers as progress fields hold them, defaults (0, -1, -0) and oddities (NaN, Infinity) often. */
const count = fc.oneof(fc.constantFrom(0, -0, -1, 1, Number.NaN, Number.POSITIVE_INFINITY), fc.integer({ min: -5, max: 100_000 }), fc.double());
const snapshot: fc.Arbitrary<ProgressSnapshot> = fc.record(
  {
    phase: fc.constantFrom('waiting-for-nodes', 'running', 'merging'),
    startedAt: fc.integer({ min: 0 }),
    total: count,
    done: count,
    running: count,
    retries: count,
    runningNodes: fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
    etaSeconds: count,
    reused: count,
    recovered: count,
    work: fc.record({ unitsContinued: count, unitsRejected: count, unitsFull: count, barsSimulated: count }),
    continuedFrom: fc.constantFrom('', 'ds-1', 'x'),
    backups: count,
    backupsWon: count,
  },
  { requiredKeys: ['phase', 'startedAt', 'total', 'done', 'running', 'retries', 'runningNodes', 'etaSeconds'] },
) as fc.Arbitrary<ProgressSnapshot>;

/** Events as the coordinator publishes them: a full progress (toJobProgress), another progress, or none. */
const event: fc.Arbitrary<JobEvent> = fc.record(
  {
    jobId: fc.uuid(),
    type: fc.constantFrom('JOB_EVENT_TYPE_PARTITION_STARTED', 'JOB_EVENT_TYPE_PARTITION_FINISHED', 'JOB_EVENT_TYPE_PROGRESS', 'JOB_EVENT_TYPE_COMPLETED'),
    timeMs: fc.integer({ min: 0 }),
    partition: fc.integer({ min: -1, max: 20_000 }),
    nodeId: fc.string({ maxLength: 8 }),
    attempt: fc.integer({ min: 0, max: 5 }),
    message: fc.string({ maxLength: 20 }),
    status: fc.constantFrom('JOB_STATUS_RUNNING', 'JOB_STATUS_COMPLETED'),
    backup: fc.boolean(),
    progress: fc.oneof(
      snapshot.map((s) => toJobProgress(s)),
      fc.constant(toJobProgress(undefined)),
      fc.constant(null),
      // Not from toJobProgress: a part of its fields, or one of them undefined.
      fc.record({ partitionsDone: count, runningNodes: fc.array(fc.string({ maxLength: 4 }), { maxLength: 2 }) }, { requiredKeys: [] }),
      snapshot.map((s) => ({ ...toJobProgress(s), retries: undefined })),
    ),
  },
  { requiredKeys: ['jobId', 'type', 'timeMs', 'partition'] },
) as fc.Arbitrary<JobEvent>;

test('any event reads back as it read before compact entries (the event through JSON), and never longer', () => {
  fc.assert(
    fc.property(event, (e) => {
      const [field, json] = encodeJobEvent(e);
      assert.deepEqual(decodeJobEvent(field, json), throughJson(e));
      assert.ok(json.length <= JSON.stringify(e).length);
    }),
    { numRuns: 2000 },
  );
});

test('a running job\'s event at its defaults leaves them out; other events stay whole; whole entries (older coordinators) read as before', () => {
  const progress = toJobProgress({ phase: 'running', startedAt: 1, total: 2000, done: 10, running: 16, retries: 0, runningNodes: ['agent-a'], etaSeconds: 3.5 });
  const e: JobEvent = { jobId: 'j', type: 'JOB_EVENT_TYPE_PARTITION_STARTED', timeMs: 5, partition: 3, progress, status: 'JOB_STATUS_RUNNING', nodeId: 'agent-a', attempt: 1 };
  const [field, json] = encodeJobEvent(e);
  assert.equal(field, COMPACT_FIELD);
  assert.deepEqual(JSON.parse(json).progress, { partitionsTotal: 2000, partitionsDone: 10, partitionsRunning: 16, runningNodes: ['agent-a'], etaSeconds: 3.5 });
  assert.deepEqual(Object.keys(decodeJobEvent(field, json).progress!), Object.keys(progress), 'the fields in toJobProgress\'s order');
  const completed: JobEvent = { jobId: 'j', type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: 6, partition: -1, status: 'JOB_STATUS_COMPLETED' };
  assert.deepEqual(encodeJobEvent(completed), [WHOLE_FIELD, JSON.stringify(completed)]);
  assert.deepEqual(decodeJobEvent(WHOLE_FIELD, JSON.stringify(e)), throughJson(e));
  // Two reads of one entry do not share the restored default array.
  const idle = encodeJobEvent({ ...e, progress: toJobProgress(undefined) });
  const a = decodeJobEvent(...idle);
  a.progress!.runningNodes!.push('x');
  assert.deepEqual(decodeJobEvent(...idle).progress!.runningNodes, []);
});
