import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { clusterReference, DEFAULT_SPECIALTY_BONUS, DEFAULT_WEIGHTS, loadOf, placementScore, scoreNode, type ScoringInput } from '../../../coordinator/nodes/node-scorer.js';

function node(overrides: Partial<ScoringInput> = {}): ScoringInput {
  return { cores: 4, cpuSpeedGhz: 3, memoryAvailableBytes: 8e9, rttMs: 1, cpuLoad: 0, busySlots: 0, slots: 4, ...overrides };
}

test('the best node in every part scores the sum of the weights', () => {
  const nodes = [node(), node({ cores: 2, memoryAvailableBytes: 4e9, rttMs: 2 })];
  const parts = scoreNode(nodes[0], clusterReference(nodes), DEFAULT_WEIGHTS);
  assert.equal(parts.cpu, 1);
  assert.equal(parts.memory, 1);
  assert.equal(parts.network, 1);
  assert.equal(parts.loadFactor, 1);
  assert.ok(Math.abs(parts.total - 1) < 1e-12);
});

test('each part is normalised against the best node and weighted 0.4/0.3/0.3', () => {
  const best = node({ cores: 8, cpuSpeedGhz: 2, memoryAvailableBytes: 16e9, rttMs: 0.5 });
  const other = node({ cores: 4, cpuSpeedGhz: 2, memoryAvailableBytes: 4e9, rttMs: 2 });
  const parts = scoreNode(other, clusterReference([best, other]), DEFAULT_WEIGHTS);
  assert.equal(parts.cpu, 0.5);
  assert.equal(parts.memory, 0.25);
  assert.equal(parts.network, 0.25);
  assert.ok(Math.abs(parts.total - (0.4 * 0.5 + 0.3 * 0.25 + 0.3 * 0.25)) < 1e-12);
});

test('load multiplies the score by (1 - load), load being the busier of slots in use and CPU use', () => {
  const idle = node();
  const busy = node({ busySlots: 3 });
  const hot = node({ cpuLoad: 0.9, busySlots: 1 });
  const reference = clusterReference([idle, busy, hot]);
  assert.equal(loadOf(busy), 0.75);
  assert.equal(loadOf(hot), 0.9);
  assert.ok(Math.abs(scoreNode(busy, reference, DEFAULT_WEIGHTS).total - 0.25) < 1e-12);
  assert.ok(Math.abs(scoreNode(hot, reference, DEFAULT_WEIGHTS).total - 0.1) < 1e-12);
});

test('custom weights change the ranking', () => {
  const fast = node({ cores: 16, rttMs: 5 });
  const near = node({ cores: 2, rttMs: 0.3 });
  const reference = clusterReference([fast, near]);
  const cpuHeavy = { cpu: 1, memory: 0, network: 0 };
  const netHeavy = { cpu: 0, memory: 0, network: 1 };
  assert.ok(scoreNode(fast, reference, cpuHeavy).total > scoreNode(near, reference, cpuHeavy).total);
  assert.ok(scoreNode(near, reference, netHeavy).total > scoreNode(fast, reference, netHeavy).total);
});

test('a node not yet measured gets a neutral network part', () => {
  const unmeasured = node({ rttMs: Number.NaN });
  const parts = scoreNode(unmeasured, clusterReference([unmeasured, node()]), DEFAULT_WEIGHTS);
  assert.equal(parts.network, 0.5);
});

test('scores stay within [0, 1] and never increase with load (property)', () => {
  const arbitraryNode = fc.record({
    cores: fc.integer({ min: 1, max: 256 }),
    cpuSpeedGhz: fc.double({ min: 0.5, max: 6, noNaN: true }),
    memoryAvailableBytes: fc.double({ min: 0, max: 1e12, noNaN: true }),
    rttMs: fc.double({ min: 0.01, max: 500, noNaN: true }),
    cpuLoad: fc.double({ min: 0, max: 1, noNaN: true }),
    slots: fc.integer({ min: 1, max: 64 }),
    busySlots: fc.nat(64),
  });
  fc.assert(
    fc.property(fc.array(arbitraryNode, { minLength: 1, maxLength: 8 }), (nodes) => {
      const clamped = nodes.map((n) => ({ ...n, busySlots: Math.min(n.busySlots, n.slots) }));
      const reference = clusterReference(clamped);
      for (const n of clamped) {
        const parts = scoreNode(n, reference, DEFAULT_WEIGHTS);
        assert.ok(parts.total >= 0 && parts.total <= 1 + 1e-12, `total ${parts.total}`);
        if (n.busySlots < n.slots) {
          const busier = scoreNode({ ...n, busySlots: n.busySlots + 1 }, reference, DEFAULT_WEIGHTS);
          assert.ok(busier.total <= parts.total + 1e-12);
        }
      }
    }),
  );
});

test('placement multiplies the score of a node specialised in the job\'s kind by the bonus (1.5 by default), and only that', () => {
  assert.equal(DEFAULT_SPECIALTY_BONUS, 1.5);
  const specialties = new Set(['backtest', 'market-analysis']);
  assert.equal(placementScore(0.6, specialties, 'backtest', 1.5), 0.6 * 1.5);
  assert.equal(placementScore(0.6, specialties, 'market-analysis', 2), 1.2);
  assert.equal(placementScore(0.6, specialties, 'noop', 1.5), 0.6);
  assert.equal(placementScore(0.6, new Set(), 'backtest', 1.5), 0.6);
  assert.equal(placementScore(0.6, specialties, '', 1.5), 0.6);
  assert.equal(placementScore(0, specialties, 'backtest', 1.5), 0, 'a full node stays at 0');
  // the order between two nodes flips exactly when the specialist's total × bonus passes the other's (property)
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 1, max: 10, noNaN: true }), (specialist, other, bonus) => {
      const wins = placementScore(specialist, new Set(['backtest']), 'backtest', bonus) > placementScore(other, new Set(), 'backtest', bonus);
      assert.equal(wins, specialist * bonus > other);
    }),
  );
});
