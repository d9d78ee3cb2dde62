import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyse, parseWindow, selfTimes } from '../../../bench/lib/cpu-profile.js';

/**
 * A profile of two frames: "startup" sampled for the first 3 ms, "dispatch" for the next 4 ms, one
 * sample per ms. Its clock says monotonic 10,000,000 µs was wall 1,000,000 ms: the profile starts
 * at wall 1,000,000 ms (startTime 10,000,000 µs).
 */
function profile() {
  const frame = (id: number, functionName: string) => ({ id, callFrame: { functionName, url: 'file:///x/dist/coordinator/a.js', lineNumber: id, columnNumber: 0 } });
  return {
    nodes: [{ id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [2, 3] }, frame(2, 'startup'), frame(3, 'dispatch')],
    startTime: 10_000_000,
    endTime: 10_007_000,
    samples: [2, 2, 2, 3, 3, 3, 3],
    timeDeltas: [1000, 1000, 1000, 1000, 1000, 1000, 1000],
    quantgridClock: { epochMs: 1_000_000, monotonicUs: 10_000_000 },
  };
}

test('without windows every sample counts', () => {
  const self = selfTimes(profile());
  assert.equal(self.get(2), 3000);
  assert.equal(self.get(3), 4000);
});

test('a window counts only the samples taken inside it (wall clock through the recorded clock pair)', () => {
  // Samples fall at wall 1,000,001 … 1,000,007 ms: [1,000,003.5, 1,000,010) holds the 4 "dispatch" ones.
  const result = analyse(profile(), 10, [{ fromMs: 1_000_003.5, toMs: 1_000_010 }]);
  assert.equal(result.totalMs, 4);
  assert.deepEqual(result.frames.map((f) => [f.frame, f.selfMs]), [['dispatch', 4]]);
  // Two windows: their union; the end is excluded.
  const two = selfTimes(profile(), [parseWindow('1000001-1000002'), parseWindow('1000006-1000007')]);
  assert.equal(two.get(2), 1000);
  assert.equal(two.get(3), 1000);
});

test('a window needs the clock pair, and FROM-TO must be a non-empty range', () => {
  const { quantgridClock: _, ...bare } = profile();
  assert.throws(() => selfTimes(bare, [{ fromMs: 0, toMs: 1 }]), /no clock mapping/);
  assert.throws(() => parseWindow('5-5'), /empty window/);
  assert.throws(() => parseWindow('abc'), /not a window/);
});
