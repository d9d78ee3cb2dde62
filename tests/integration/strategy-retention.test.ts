import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from '../../coordinator/audit/audit-log.js';
import { StrategyRetention, unreferencedBundles } from '../../coordinator/strategies/strategy-retention.js';
import { StrategyStore } from '../../coordinator/strategies/strategy-store.js';
import { createLogger } from '../../shared/logging.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';
import { useRealRedis } from '../helpers/real-redis.js';

const manifest = (name: string): StrategyManifest => ({ name, description: '', params: [], constraints: [] });

describe('strategy bundles are deleted once nothing needs them (real Redis)', () => {
  const real = useRealRedis();

  test('a bundle listed under any name, or run by a kept job, stays; otherwise the sweep deletes it and audits it', async () => {
    const store = new StrategyStore(real.redis, 'r1');
    const audit = new AuditLog(real.redis, 60_000, 'r1:audit');
    let keptRefs: string[] = [];
    const retention = new StrategyRetention(store, async () => keptRefs, audit, createLogger('test', 'silent'));
    const shared = await store.push('export default 1;', 'alpha', manifest('alpha'), 'alice');
    await store.push('export default 1;', 'beta', manifest('beta'), 'alice');
    const other = await store.push('export default 2;', 'gamma', manifest('gamma'), 'bob');
    assert.deepEqual(await retention.sweep(), [], 'everything listed');

    await store.remove('alpha', [shared.id]);
    assert.deepEqual(await retention.sweep(), [], 'still listed under beta');
    keptRefs = [`gamma@${other.id}`];
    await store.remove('gamma', [other.id]);
    assert.deepEqual(await retention.sweep(), [], 'a kept job ran gamma');
    assert.ok(await store.code(other.id));

    await store.remove('beta', [shared.id]);
    keptRefs = [];
    assert.deepEqual((await retention.sweep()).sort(), [shared.id, other.id].sort());
    assert.equal(await store.code(shared.id), undefined);
    assert.equal(await store.code(other.id), undefined);
    const entries = await audit.list({});
    assert.equal(entries.filter((entry) => entry.action === 'strategy.expire').length, 2);
    assert.match(entries.find((entry) => entry.target === shared.id)!.detail, /^17 bytes/);
    assert.deepEqual(await retention.sweep(), [], 'nothing left to delete');
  });

  test('a push after the sweep looked keeps its bundle (the deletion is atomic in Redis)', async () => {
    const store = new StrategyStore(real.redis, 'r2');
    const first = await store.push('export default 3;', 'delta', manifest('delta'), 'alice');
    await store.remove('delta', [first.id]);
    const lookedAtUs = await store.redisTimeUs();
    // The same code pushed again under another name, between the sweep's look and its deletion.
    await store.push('export default 3;', 'epsilon', manifest('epsilon'), 'alice');
    assert.equal(await store.deleteUnreferenced(first.id, lookedAtUs), 0);
    assert.ok(await store.code(first.id), 'the re-pushed bundle stays');
    const later = await store.redisTimeUs();
    assert.ok(later > lookedAtUs);
    assert.ok((await store.deleteUnreferenced(first.id, later)) > 0, 'a bundle stored before the look is deleted');
  });
});

test('unreferencedBundles: listed ids and the ids of kept jobs\' exact references are used; anything else is not', () => {
  const a = 'a'.repeat(64);
  const b = 'b'.repeat(64);
  const c = 'c'.repeat(64);
  assert.deepEqual(unreferencedBundles([a, b, c], new Set([a]), [`name@${b}`, 'not a ref!', 'plain-name']), [c]);
});
