import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { NodeTable } from '../../../coordinator/nodes/node-table.js';
import { DEFAULT_WEIGHTS } from '../../../coordinator/nodes/node-scorer.js';
import { QUANTGRID_VERSION } from '../../../shared/version.js';

const log = pino({ level: 'silent' });
let table: NodeTable;
afterEach(() => table?.close());

const node = (id: string, port: number) => ({
  id,
  address: `127.0.0.1:${port}`,
  cores: 4,
  slots: 2,
  memoryBytes: 8e9,
  cpuSpeedGhz: 3,
  capabilities: ['backtest'],
  specialties: [],
  version: QUANTGRID_VERSION,
});

function newTable(clusterSecret?: Uint8Array): NodeTable {
  table = new NodeTable({ weights: DEFAULT_WEIGHTS, specialtyBonus: 1.5, quarantineMs: 60_000, quarantineAfterFailures: 3, agentTls: {}, clusterSecret }, log);
  return table;
}

test('with a cluster secret, a node gets no work until it has proved the secret, and loses it when a proof fails', () => {
  const t = newTable(Buffer.alloc(32, 7));
  t.applyDiscovery([node('a', 1001), node('rogue', 1002)]);
  const a = t.get('a')!;
  const rogue = t.get('rogue')!;
  assert.equal(t.stateOf(a), 'unverified');
  assert.equal(t.pickNode(['backtest'], new Set()), undefined, 'no node has proved anything yet');

  let changed = 0;
  t.on('changed', () => changed++);
  t.applyVerification(a, true, '');
  t.applyVerification(rogue, false, 'answered the cluster-secret challenge wrongly');
  assert.equal(changed, 1, 'a newly verified node may take work: capacity grew');
  assert.equal(t.stateOf(a), 'ready');
  assert.equal(t.stateOf(rogue), 'unverified');
  assert.match(rogue.unverifiedReason, /wrongly/);
  for (let i = 0; i < 4; i++) {
    const picked = t.pickNode(['backtest'], new Set());
    if (!picked) break;
    assert.equal(picked.id, 'a', 'the unverified node is never picked, even with the better score');
    t.acquireSlot(picked);
  }
  assert.deepEqual(t.capableNodes(['backtest']).map((n) => n.id), ['a']);

  t.applyVerification(a, false, 'refused this coordinator\'s cluster proof');
  assert.equal(t.stateOf(a), 'unverified');
  assert.equal(a.unverifiedReason, 'refused this coordinator\'s cluster proof');
});

test('without a cluster secret (mutual TLS, or a loopback-only cluster) nodes count as verified', () => {
  const t = newTable();
  t.applyDiscovery([node('a', 1001)]);
  assert.equal(t.stateOf(t.get('a')!), 'ready');
  assert.equal(t.get('a')!.unverifiedReason, '');
});
