import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveTimeline, TAKEN_OVER, type TimelineEvent } from '../../../../coordinator/dashboard/job-timeline.js';

const started = (partition: number, nodeId: string, attempt: number, timeMs: number): TimelineEvent => ({ type: 'JOB_EVENT_TYPE_PARTITION_STARTED', partition, nodeId, attempt, timeMs });
const finished = (partition: number, nodeId: string, attempt: number, timeMs: number): TimelineEvent => ({ type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', partition, nodeId, attempt, timeMs });
const job = (type: string, timeMs: number, message = ''): TimelineEvent => ({ type: `JOB_EVENT_TYPE_${type}`, partition: -1, timeMs, message });

test('attempts: completed, retried, failover; lanes per node and slot', () => {
  const timeline = deriveTimeline('j', [
    job('STARTED', 0),
    started(0, 'a', 1, 10),
    started(1, 'a', 1, 11),
    started(2, 'b', 1, 12),
    { type: 'JOB_EVENT_TYPE_PARTITION_RETRIED', partition: 2, nodeId: 'b', attempt: 1, timeMs: 40, message: 'no heartbeat for 1500 ms', failover: true },
    finished(0, 'a', 1, 50),
    started(2, 'a', 2, 50),
    { type: 'JOB_EVENT_TYPE_PARTITION_RETRIED', partition: 1, nodeId: 'a', attempt: 1, timeMs: 60, message: 'TASK_ERROR: boom' },
    started(1, 'a', 2, 61),
    finished(2, 'a', 2, 90),
    finished(1, 'a', 2, 95),
    job('COMPLETED', 100),
  ], 1000);
  const brief = timeline.attempts.map((a) => [a.partition, a.attempt, a.nodeId, a.slot, a.startMs, a.endMs, a.outcome]);
  assert.deepEqual(brief, [
    [0, 1, 'a', 0, 10, 50, 'completed'],
    [1, 1, 'a', 1, 11, 60, 'retried'],
    [2, 1, 'b', 0, 12, 40, 'failover'],
    [2, 2, 'a', 0, 50, 90, 'completed'],
    [1, 2, 'a', 1, 61, 95, 'completed'],
  ]);
  assert.equal(timeline.attempts[2].message, 'no heartbeat for 1500 ms');
  assert.deepEqual(timeline.lanes, [
    { nodeId: 'a', slot: 0 },
    { nodeId: 'a', slot: 1 },
    { nodeId: 'b', slot: 0 },
  ]);
  assert.equal(timeline.startMs, 10);
  assert.equal(timeline.endMs, 100);
});

test('a running job: open attempts run until now; a takeover ends the old coordinator\'s as failovers', () => {
  const timeline = deriveTimeline('j', [job('STARTED', 0), started(0, 'a', 1, 10), started(1, 'b', 1, 10), job('STARTED', 500), started(0, 'b', 1, 520)], 1000);
  assert.deepEqual(
    timeline.attempts.map((a) => [a.partition, a.nodeId, a.endMs, a.outcome, a.message]),
    [
      [0, 'a', 500, 'failover', TAKEN_OVER],
      [1, 'b', 500, 'failover', TAKEN_OVER],
      [0, 'b', 0, 'running', ''],
    ],
  );
  assert.equal(timeline.endMs, 1000, 'running: until now');
});

test('a failed job: its culprit partition failed, the others running then cancelled', () => {
  const timeline = deriveTimeline('j', [started(3, 'a', 3, 10), started(4, 'a', 1, 12), job('FAILED', 30, 'partition 3 failed: failed after 3 attempts, last on a: boom')], 1000);
  assert.deepEqual(timeline.attempts.map((a) => [a.partition, a.outcome]), [[3, 'failed'], [4, 'cancelled']]);
});

test("lanes stay within a node's slots when the coordinator's stamps overlap by a moment", () => {
  // Slot freed at 50 on the agent; the coordinator stamped the end at 51 and the next start at 50.
  const events = [started(0, 'a', 1, 0), started(1, 'a', 1, 0), finished(0, 'a', 1, 51), started(2, 'a', 1, 50), finished(1, 'a', 1, 60), finished(2, 'a', 1, 90)];
  assert.equal(new Set(deriveTimeline('j', events, 100).attempts.map((a) => a.slot)).size, 3, 'slots unknown: a third lane');
  assert.deepEqual(deriveTimeline('j', events, 100, () => 2).attempts.map((a) => a.slot), [0, 1, 0]);
});

test('reused and recovered partitions come from the last progress', () => {
  const timeline = deriveTimeline('j', [{ ...job('PROGRESS', 5), progress: { partitionsReused: 4, partitionsRecovered: 2 } }], 10);
  assert.deepEqual([timeline.partitionsReused, timeline.partitionsRecovered, timeline.attempts.length, timeline.startMs], [4, 2, 0, 0]);
});

test('a straggler and its backup: two bars of one partition at once; the loser superseded (or dropped when it failed), the backup flagged', () => {
  const backupStarted = (partition: number, nodeId: string, attempt: number, timeMs: number): TimelineEvent => ({ ...started(partition, nodeId, attempt, timeMs), backup: true });
  const stopped = (partition: number, nodeId: string, attempt: number, timeMs: number, message: string, backup = false): TimelineEvent => ({ type: 'JOB_EVENT_TYPE_PARTITION_COPY_STOPPED', partition, nodeId, attempt, timeMs, message, backup });
  const timeline = deriveTimeline('j', [
    job('STARTED', 0),
    started(0, 'slow', 1, 10),
    started(1, 'a', 1, 10),
    started(2, 'b', 1, 10),
    finished(1, 'a', 1, 100),
    finished(2, 'b', 1, 100),
    backupStarted(0, 'a', 2, 300),
    started(3, 'slow', 1, 100),
    backupStarted(3, 'b', 2, 320),
    // The backup of 0 wins: the straggler is stopped first, then its partition finishes (with the backup's attempt).
    stopped(0, 'slow', 1, 390, 'superseded: attempt 2 on a finished first'),
    { ...finished(0, 'a', 2, 390), backup: true },
    // The backup of 3 fails: the straggler runs on and finishes.
    stopped(3, 'b', 2, 400, 'failed: INTERNAL: boom; the other copy (attempt 1 on slow) runs on', true),
    finished(3, 'slow', 1, 500),
    job('COMPLETED', 510),
  ], 1000);
  const brief = timeline.attempts.map((a) => [a.partition, a.attempt, a.nodeId, a.startMs, a.endMs, a.outcome, a.backup]);
  assert.deepEqual(brief, [
    [0, 1, 'slow', 10, 390, 'superseded', false],
    [1, 1, 'a', 10, 100, 'completed', false],
    [2, 1, 'b', 10, 100, 'completed', false],
    [3, 1, 'slow', 100, 500, 'completed', false],
    [0, 2, 'a', 300, 390, 'completed', true],
    [3, 2, 'b', 320, 400, 'dropped', true],
  ]);
  assert.match(timeline.attempts.find((a) => a.outcome === 'dropped')!.message, /^failed: INTERNAL: boom/);
});

test('a backup whose COPY_STOPPED never came (an older coordinator, a lost event) is superseded by its partition\'s end', () => {
  const timeline = deriveTimeline('j', [job('STARTED', 0), started(0, 'slow', 1, 10), { ...started(0, 'a', 2, 50), backup: true }, finished(0, 'slow', 1, 80), job('COMPLETED', 90)], 1000);
  assert.deepEqual(
    timeline.attempts.map((a) => [a.attempt, a.outcome, a.endMs]),
    [
      [1, 'completed', 80],
      [2, 'superseded', 80],
    ],
  );
});
