import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { jobTimeline, type TimelineEvent } from '../../../bench/lib/job-timeline.js';

const started = (timeMs: number, nodeId: string): TimelineEvent => ({ type: 'JOB_EVENT_TYPE_PARTITION_STARTED', timeMs, nodeId });
const finished = (timeMs: number, nodeId: string): TimelineEvent => ({ type: 'JOB_EVENT_TYPE_PARTITION_FINISHED', timeMs, nodeId });

test('first start after submit, and how far apart the nodes finished their last partitions', () => {
  const events: TimelineEvent[] = [
    started(1_030, 'a'),
    started(1_025, 'b'),
    { type: 'JOB_EVENT_TYPE_PROGRESS', timeMs: 1_100, nodeId: 'a' },
    finished(1_400, 'b'),
    started(1_405, 'b'),
    finished(1_500, 'a'),
    finished(1_700, 'b'),
    { type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: 1_710 },
  ];
  assert.deepEqual(jobTimeline(1_000, events), { firstStartMs: 25, tailMs: 200 });
});

test('one node has no tail; no partitions, no figures', () => {
  assert.deepEqual(jobTimeline(0, [started(5, 'a'), finished(9, 'a'), started(9, 'a'), finished(20, 'a')]), { firstStartMs: 5, tailMs: 0 });
  assert.deepEqual(jobTimeline(0, [{ type: 'JOB_EVENT_TYPE_COMPLETED', timeMs: 3 }]), { firstStartMs: undefined, tailMs: undefined });
});

test('the tail does not depend on the order events arrive in, and is at most the span of the finishes', () => {
  const event = fc.record({ finish: fc.boolean(), timeMs: fc.integer({ min: 0, max: 10_000 }), nodeId: fc.constantFrom('a', 'b', 'c') });
  fc.assert(
    fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (raw) => {
      const events = raw.map((e) => (e.finish ? finished(e.timeMs, e.nodeId) : started(e.timeMs, e.nodeId)));
      const forward = jobTimeline(0, events);
      assert.deepEqual(jobTimeline(0, [...events].reverse()), forward);
      const finishes = events.filter((e) => e.type.endsWith('FINISHED')).map((e) => e.timeMs);
      if (finishes.length === 0) assert.equal(forward.tailMs, undefined);
      else assert.ok(forward.tailMs! >= 0 && forward.tailMs! <= Math.max(...finishes) - Math.min(...finishes));
    }),
  );
});
