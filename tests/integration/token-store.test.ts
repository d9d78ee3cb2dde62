import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { readOrCreateAdminToken } from '../../coordinator/auth/admin-token-file.js';
import { TOKEN_CACHE_MS, TokenStore } from '../../coordinator/auth/token-store.js';
import { hashApiToken } from '../../shared/auth/api-token.js';
import { startRedisServer, type RedisServer } from '../../scripts/local-cluster/index.js';

describe('API tokens in Redis (real Redis)', () => {
  let server: RedisServer;
  let redis: Redis;
  let other: Redis;
  let dir: string;
  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
    other = new Redis(server.url);
    dir = await mkdtemp(path.join(os.tmpdir(), 'quantgrid-tokens-'));
  });
  after(async () => {
    redis?.disconnect();
    other?.disconnect();
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('a token verifies as its user and role; only its hash is stored', async () => {
    const store = new TokenStore(redis, 't1:');
    const token = await store.create('alice', 'submitter');
    assert.ok(token);
    assert.deepEqual(await store.verify(token), { user: 'alice', role: 'submitter' });
    assert.equal(await store.create('alice', 'admin'), undefined, 'one token per user');
    const keys = await redis.keys('t1:*');
    assert.ok(keys.includes(`t1:auth:token:${hashApiToken(token)}`));
    for (const key of keys) {
      assert.ok(!key.includes(token));
      const type = await redis.type(key);
      const values = type === 'hash' ? Object.values(await redis.hgetall(key)) : [await redis.get(key)];
      assert.ok(values.every((value) => !String(value).includes(token)), `${key} holds the token`);
    }
    assert.deepEqual((await store.list()).map((info) => [info.user, info.role]), [['alice', 'submitter']]);
    assert.equal(await store.verify(token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), undefined);
    assert.equal(await store.verify('garbage'), undefined);
  });

  test('a revoked token stops working on another coordinator within 1 s', async () => {
    const here = new TokenStore(redis, 't2:');
    const there = new TokenStore(other, 't2:');
    const token = (await here.create('bob', 'viewer'))!;
    assert.deepEqual(await there.verify(token), { user: 'bob', role: 'viewer' });
    assert.equal(await here.revoke('bob'), true);
    assert.equal(await here.verify(token), undefined, 'at once where revoked');
    const started = Date.now();
    while ((await there.verify(token)) !== undefined) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(Date.now() - started <= 1000, `revocation took ${Date.now() - started} ms to reach the other coordinator`);
    assert.ok(TOKEN_CACHE_MS < 1000);
    assert.equal(await here.revoke('bob'), false);
  });

  test('an expired token is refused, and its keys expire in Redis', async () => {
    let now = Date.now();
    const store = new TokenStore(redis, 't3:', () => now);
    const token = (await store.create('carol', 'submitter', now + 60_000))!;
    assert.ok(await store.verify(token));
    assert.ok((await redis.pttl(`t3:auth:token:${hashApiToken(token)}`)) > 0);
    now += 60_001 + TOKEN_CACHE_MS;
    assert.equal(await store.verify(token), undefined);
    assert.deepEqual(await store.list(), []);
  });

  test('while Redis is down, a token verified within the grace time keeps working; others fail', async () => {
    const own = await startRedisServer();
    const connection = new Redis(own.url, { maxRetriesPerRequest: 1 });
    connection.on('error', () => undefined);
    const store = new TokenStore(connection, 't5:');
    const token = (await store.create('dora', 'viewer'))!;
    assert.ok(await store.verify(token));
    const stranger = (await new TokenStore(connection, 't5:').create('eve', 'viewer'))!;
    await own.stop();
    await new Promise((resolve) => setTimeout(resolve, TOKEN_CACHE_MS + 50));
    const started = Date.now();
    assert.deepEqual(await store.verify(token), { user: 'dora', role: 'viewer' });
    assert.ok(Date.now() - started < 200, 'answered from the cache at once while Redis is known to be down');
    await assert.rejects(store.verify(stranger), 'a token never verified here is not taken on trust');
    connection.disconnect();
  });

  test('the bootstrap admin token is created once with mode 0600, then read back and installed', async () => {
    const file = path.join(dir, 'nested', 'admin.token');
    const first = await readOrCreateAdminToken(file);
    assert.equal(first.created, true);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await readOrCreateAdminToken(file);
    assert.deepEqual([again.created, again.token], [false, first.token]);
    assert.equal((await readFile(file, 'utf8')).trim(), first.token);
    const racing = await Promise.all([1, 2, 3].map(() => readOrCreateAdminToken(path.join(dir, 'race.token'))));
    assert.equal(new Set(racing.map((r) => r.token)).size, 1, 'concurrent starts agree on one token');
    assert.equal(racing.filter((r) => r.created).length, 1);

    const store = new TokenStore(redis, 't4:');
    assert.equal(await store.install('admin', 'admin', first.token), 'installed');
    assert.equal(await store.install('admin', 'admin', first.token), 'present');
    assert.deepEqual(await store.verify(first.token), { user: 'admin', role: 'admin' });
    // Revoked and re-created: a restart (install again) does not bring the old file's token back.
    await store.revoke('admin');
    const replacement = (await store.create('admin', 'admin'))!;
    assert.equal(await store.install('admin', 'admin', first.token), 'user-has-another');
    assert.equal(await new TokenStore(redis, 't4:').verify(first.token), undefined);
    assert.ok(await store.verify(replacement));
    await chmod(file, 0o644);
    assert.match((await readOrCreateAdminToken(file)).warning ?? '', /readable by (others|its group)/);
    await writeFile(path.join(dir, 'bad.token'), 'not a token\n');
    await assert.rejects(readOrCreateAdminToken(path.join(dir, 'bad.token')), /does not hold a quantgrid token/);
  });
});
