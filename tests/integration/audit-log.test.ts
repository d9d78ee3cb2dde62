import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AuditLog } from '../../coordinator/audit/audit-log.js';
import { useRealRedis } from '../helpers/real-redis.js';

describe('audit trail (real Redis)', () => {
  const real = useRealRedis();

  test('entries come back newest first, filtered by user, with what was done to what', async () => {
    const log = new AuditLog(real.redis, 3_600_000, 'audit:a');
    await log.append({ user: 'alice', action: 'job.submit', target: 'job-1', detail: 'backtest nightly' });
    await log.append({ user: 'bob', action: 'dataset.import', target: 'sha256:ab', detail: 'BTCUSDT 1h' });
    await log.append({ user: 'alice', action: 'job.cancel', target: 'job-1', detail: 'x'.repeat(500) });
    const all = await log.list();
    assert.deepEqual(all.map((e) => [e.user, e.action, e.target]), [
      ['alice', 'job.cancel', 'job-1'],
      ['bob', 'dataset.import', 'sha256:ab'],
      ['alice', 'job.submit', 'job-1'],
    ]);
    assert.ok(all[0].detail.length <= 200, 'details are bounded');
    assert.ok(all.every((e) => Math.abs(e.at - Date.now()) < 10_000));
    assert.deepEqual((await log.list({ user: 'bob' })).map((e) => e.target), ['sha256:ab']);
    assert.deepEqual((await log.list({ user: 'alice', limit: 1 })).map((e) => e.action), ['job.cancel']);
    assert.deepEqual(await log.list({ user: 'nobody' }), []);
  });

  test('a user\'s entries are found behind many of another\'s, in pages', async () => {
    const log = new AuditLog(real.redis, 3_600_000, 'audit:b');
    await log.append({ user: 'carol', action: 'schedule.add', target: 'nightly', detail: '' });
    for (let i = 0; i < 1200; i++) await log.append({ user: 'dave', action: 'job.submit', target: `job-${i}`, detail: '' });
    assert.deepEqual((await log.list({ user: 'carol' })).map((e) => e.target), ['nightly']);
    assert.equal((await log.list({ user: 'dave', limit: 10_000 })).length, 1200);
  });

  test('entries older than the retention time are neither listed nor kept', async () => {
    const log = new AuditLog(real.redis, 400, 'audit:c');
    await log.append({ user: 'erin', action: 'token.create', target: 'erin', detail: 'viewer' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.deepEqual(await log.list(), []);
    for (let i = 0; i < 300; i++) await log.append({ user: 'erin', action: 'token.revoke', target: 'erin', detail: '' });
    assert.equal((await log.list({ limit: 10_000 })).length, 300);
    // Trimming is approximate (MINID ~ drops whole stream nodes), so the stream may keep a few old entries for a while.
    assert.ok((await real.redis.xlen('audit:c')) <= 301);
  });
});
