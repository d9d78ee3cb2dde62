import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareEventIds, mergeEvents } from '../../../shared/dashboard/event-merge.js';

interface Ev {
  eventId: string;
  from: string;
}

/** Redis stream ids as Redis writes them, from a small range so that batches share ids. */
const eventId = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 12 })).map(([ms, seq]) => `${1_700_000_000_000 + ms * 997}-${seq}`);

/** The reference order: both parts as exact integers. */
function referenceCompare(a: string, b: string): number {
  const [ma, sa] = a.split('-').map(BigInt);
  const [mb, sb] = b.split('-').map(BigInt);
  return ma !== mb ? (ma < mb ? -1 : 1) : sa === sb ? 0 : sa < sb ? -1 : 1;
}

/** What the log should show: every distinct id once, in id order (ids without one dropped). */
function expectedIds(batches: Ev[][]): string[] {
  return [...new Set(batches.flat().map((e) => e.eventId).filter((id) => id !== ''))].sort(referenceCompare);
}

test('event ids order as numbers, not as text (9 before 10, time before sequence)', () => {
  assert.ok(compareEventIds('9-0', '10-0') < 0);
  assert.ok(compareEventIds('1700000000000-10', '1700000000000-9') > 0);
  assert.ok(compareEventIds('1700000000001-0', '1700000000000-99') > 0);
  assert.equal(compareEventIds('5-5', '5-5'), 0);
  fc.assert(
    fc.property(eventId, eventId, (a, b) => {
      assert.equal(Math.sign(compareEventIds(a, b)), referenceCompare(a, b));
    }),
  );
});

test('merging batches in any order and any split gives every event once, in id order', () => {
  const batch = fc.array(fc.oneof({ weight: 9, arbitrary: eventId }, { weight: 1, arbitrary: fc.constant('') }), { maxLength: 25 });
  fc.assert(
    fc.property(fc.array(batch, { maxLength: 8 }), (idBatches) => {
      const batches = idBatches.map((ids, b) => ids.map((id, i) => ({ eventId: id, from: `${b}.${i}` })));
      let kept: readonly Ev[] = [];
      for (const next of batches) kept = mergeEvents(kept, next);
      assert.deepEqual(
        kept.map((e) => e.eventId),
        expectedIds(batches),
      );
      // The first copy of an id stays (the one already shown).
      for (const event of kept) {
        const first = batches.flat().find((e) => e.eventId === event.eventId);
        assert.equal(event.from, first?.from);
      }
    }),
  );
});

test('a replay after a reconnect (events already kept, then new ones) adds only the new ones', () => {
  const kept: Ev[] = ['1-0', '1-1', '2-0'].map((eventId) => ({ eventId, from: 'page' }));
  const replay: Ev[] = ['1-1', '2-0', '2-1', '3-0'].map((eventId) => ({ eventId, from: 'stream' }));
  const merged = mergeEvents(kept, replay);
  assert.deepEqual(
    merged.map((e) => `${e.eventId}/${e.from}`),
    ['1-0/page', '1-1/page', '2-0/page', '2-1/stream', '3-0/stream'],
  );
  // An event missed before and sent again later goes where its id says, not at the end.
  const late = mergeEvents(merged, [{ eventId: '1-5', from: 'late' }]);
  assert.deepEqual(
    late.map((e) => e.eventId),
    ['1-0', '1-1', '1-5', '2-0', '2-1', '3-0'],
  );
});

test('nothing new: the kept list itself comes back (no re-render)', () => {
  const kept: Ev[] = ['1-0', '2-0'].map((eventId) => ({ eventId, from: 'page' }));
  assert.equal(mergeEvents(kept, []), kept);
  assert.equal(mergeEvents(kept, [{ eventId: '', from: 'snapshot' }]), kept);
  assert.equal(mergeEvents(kept, [{ eventId: '1-0', from: 'stream' }]), kept);
});
