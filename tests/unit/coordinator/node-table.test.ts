import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { NodeTable, REFUSAL_BACKOFF_BASE_MS, REFUSAL_BACKOFF_MAX_MS, refusalBackoffMs } from '../../../coordinator/nodes/node-table.js';
import type { DiscoveredNode } from '../../../coordinator/nodes/node-discovery.js';
import { DEFAULT_SPECIALTY_BONUS, DEFAULT_WEIGHTS } from '../../../coordinator/nodes/node-scorer.js';
import { QUANTGRID_VERSION } from '../../../shared/version.js';

const log = pino({ level: 'silent' });
let table: NodeTable;
afterEach(() => table?.close());

// Channels to these addresses are created but never used: the table does no I/O by itself.
function discovered(id: string, overrides: Partial<DiscoveredNode> = {}): DiscoveredNode {
  return {
    id,
    address: `127.0.0.1:${1000 + id.charCodeAt(0)}`,
    cores: 4,
    slots: 2,
    memoryBytes: 8e9,
    cpuSpeedGhz: 3,
    capabilities: ['noop', 'backtest'],
    specialties: [],
    version: QUANTGRID_VERSION,
    ...overrides,
  };
}

function newTable(quarantineMs = 60_000, specialtyBonus = DEFAULT_SPECIALTY_BONUS): NodeTable {
  table = new NodeTable({ weights: DEFAULT_WEIGHTS, specialtyBonus, quarantineMs, quarantineAfterFailures: 3, agentTls: {} }, log);
  return table;
}

test('picks the best-scoring node with a free slot and never exceeds slots', () => {
  const t = newTable();
  t.applyDiscovery([discovered('a', { cores: 8 }), discovered('b', { cores: 2 })]);
  const picks: string[] = [];
  for (let i = 0; i < 4; i++) {
    const node = t.pickNode(['noop'], new Set());
    assert.ok(node);
    t.acquireSlot(node);
    picks.push(node.id);
  }
  assert.equal(picks[0], 'a');
  assert.deepEqual(picks.slice().sort(), ['a', 'a', 'b', 'b']);
  assert.equal(t.pickNode(['noop'], new Set()), undefined, 'every slot is taken');
});

test('filters by capability and avoids excluded nodes unless no other capable node exists', () => {
  const t = newTable();
  t.applyDiscovery([discovered('a'), discovered('b', { capabilities: ['noop'] })]);
  assert.equal(t.pickNode(['backtest'], new Set())?.id, 'a');
  assert.equal(t.pickNode(['backtest'], new Set(['a']))?.id, 'a', 'the only capable node, even if excluded');
  assert.equal(t.pickNode(['noop'], new Set(['a']))?.id, 'b');
  assert.equal(t.pickNode(['gpu'], new Set()), undefined);
});

test('a node specialised in the job\'s kind is picked over a better one while its score × the bonus is higher', () => {
  // b has half a's cores: cpu part 0.5, total 0.4·0.5 + 0.3 + 0.3·0.5 (network unmeasured: 0.5 for both) = 0.65 against a's 0.85
  const t = newTable();
  t.applyDiscovery([discovered('a', { cores: 8 }), discovered('b', { cores: 4, specialties: ['backtest'] })]);
  assert.deepEqual([...t.get('b')!.specialties], ['backtest']);
  assert.equal(t.pickNode(['backtest'], new Set(), 'backtest')?.id, 'b', '0.65 × 1.5 = 0.975 beats 0.85');
  assert.equal(t.pickNode(['backtest'], new Set(), 'market-analysis')?.id, 'a', 'another kind: no bonus');
  assert.equal(t.pickNode(['backtest'], new Set())?.id, 'a', 'no kind: no bonus');
  // one of b's two slots busy: its load factor 0.5 gives 0.65 × 0.5 × 1.5 = 0.4875 < 0.85
  t.acquireSlot(t.get('b')!);
  assert.equal(t.pickNode(['backtest'], new Set(), 'backtest')?.id, 'a');
  // a bonus of 1 turns specialties off; a node lacking a required capability is never picked for its specialty
  const off = newTable(60_000, 1);
  off.applyDiscovery([discovered('a', { cores: 8 }), discovered('b', { cores: 4, specialties: ['backtest'] })]);
  assert.equal(off.pickNode(['backtest'], new Set(), 'backtest')?.id, 'a');
  const incapable = newTable();
  incapable.applyDiscovery([discovered('a'), discovered('b', { capabilities: ['noop'], specialties: ['backtest'] })]);
  assert.equal(incapable.pickNode(['backtest'], new Set(), 'backtest')?.id, 'a');
  incapable.close();
  off.close();
});

test('a node that keeps failing is quarantined, then used again', async () => {
  const t = newTable(150);
  t.applyDiscovery([discovered('a')]);
  const node = t.get('a')!;
  t.recordFailure(node, false);
  t.recordFailure(node, false);
  assert.equal(t.stateOf(node), 'ready');
  t.recordFailure(node, false);
  assert.equal(t.stateOf(node), 'quarantined');
  assert.equal(t.pickNode(['noop'], new Set()), undefined);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(t.stateOf(node), 'ready');
  t.recordSuccess(node);
  assert.equal(node.consecutiveFailures, 0);
});

test('an unreachable node counts one failure per incident and returns after a good status probe', () => {
  const t = newTable();
  t.applyDiscovery([discovered('a')]);
  const node = t.get('a')!;
  t.recordFailure(node, true);
  t.recordFailure(node, true);
  t.recordFailure(node, true);
  assert.equal(node.consecutiveFailures, 1);
  assert.equal(t.stateOf(node), 'unreachable');
  t.applyStatus(node, { memoryAvailableBytes: 4e9, memoryTotalBytes: 8e9, cpuLoad: 0.1, draining: false }, 0.5);
  assert.equal(t.stateOf(node), 'ready');
});

test('nodes of another major.minor version or that left Consul get no work', () => {
  const t = newTable();
  t.applyDiscovery([discovered('old', { version: '0.0.1' }), discovered('b')]);
  assert.equal(t.stateOf(t.get('old')!), 'incompatible');
  const b = t.get('b')!;
  t.acquireSlot(b);
  t.applyDiscovery([discovered('old', { version: '0.0.1' })]);
  assert.equal(t.stateOf(b), 'gone', 'kept while a partition runs there, but not used');
  assert.equal(t.pickNode(['noop'], new Set()), undefined);
  t.releaseSlot(b);
  assert.equal(t.get('b'), undefined, 'dropped once idle');
});

const STATUS = { memoryAvailableBytes: 4e9, memoryTotalBytes: 8e9, cpuLoad: 0.1, draining: false };

test("slots are the agent's truth: what it reports busy beyond this coordinator's own partitions is not offered", () => {
  const t = newTable();
  t.applyDiscovery([discovered('a', { slots: 3 })]);
  const a = t.get('a')!;
  t.acquireSlot(a);
  // The agent runs 3 (ours, and 2 of another coordinator): nothing is free.
  t.applyStatus(a, { ...STATUS, busySlots: 3 }, 0.5, 1);
  assert.equal(a.foreignBusySlots, 2);
  assert.equal(t.freeSlots(a), 0);
  assert.equal(t.pickNode(['noop'], new Set()), undefined);
  // The other coordinator's work ended: the capacity is announced and offered again.
  let changed = 0;
  t.on('changed', () => changed++);
  t.applyStatus(a, { ...STATUS, busySlots: 1 }, 0.5, 1);
  assert.equal(a.foreignBusySlots, 0);
  assert.equal(changed, 1);
  assert.equal(t.freeSlots(a), 2);
  assert.equal(t.pickNode(['noop'], new Set())?.id, 'a');
});

test('a status probe counts as foreign only what is surely not ours: partitions of ours started or ended meanwhile are not', () => {
  const t = newTable();
  t.applyDiscovery([discovered('a', { slots: 4 })]);
  const a = t.get('a')!;
  // Sent with 2 of ours there; one of ours ended before the answer: the agent's 2 are ours, not another's.
  t.acquireSlot(a);
  t.acquireSlot(a);
  const atSend = a.busySlots;
  t.releaseSlot(a);
  t.applyStatus(a, { ...STATUS, busySlots: 2 }, 0.5, atSend);
  assert.equal(a.foreignBusySlots, 0);
  // Sent with none of ours; two of ours started meanwhile and the agent counts one of them.
  t.releaseSlot(a);
  t.acquireSlot(a);
  t.acquireSlot(a);
  t.applyStatus(a, { ...STATUS, busySlots: 1 }, 0.5, 0);
  assert.equal(a.foreignBusySlots, 0);
  assert.equal(t.freeSlots(a), 2);
});

test('a node that refused for lack of slots counts as full and backs off, doubling up to a bound, until it accepts one', () => {
  const t = newTable();
  t.applyDiscovery([discovered('a', { slots: 2 }), discovered('b', { slots: 1, cores: 1 })]);
  const a = t.get('a')!;
  const now = 1_000_000;
  const until = [1, 2, 3, 4, 5, 6, 7].map(() => t.recordRefusal(a, now) - now);
  assert.deepEqual(until, [100, 200, 400, 800, 1600, 2000, 2000]);
  assert.equal(refusalBackoffMs(1000), REFUSAL_BACKOFF_MAX_MS);
  assert.equal(a.foreignBusySlots, 2, 'every slot is someone else\'s as far as this coordinator knows');
  assert.equal(t.freeSlots(a, now + 1999), 0, 'not offered during the backoff');
  assert.notEqual(t.pickNode(['noop'], new Set())?.id, 'a', 'the other node is picked meanwhile');
  // Once the backoff is over, a probe that shows a free slot makes it usable again.
  t.applyStatus(a, { ...STATUS, busySlots: 1 }, 0.5, 0);
  assert.equal(t.freeSlots(a, now + 2001), 1);
  t.recordAccepted(a);
  assert.equal(t.recordRefusal(a, now) - now, REFUSAL_BACKOFF_BASE_MS, 'an accepted partition restarts the backoff');
});
