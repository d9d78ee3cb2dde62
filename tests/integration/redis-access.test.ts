import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { parseRedisAddress } from '../../coordinator/redis/redis-address.js';
import { connectRedis, RedisAuthenticationError } from '../../coordinator/redis/redis-connection.js';
import { freePort, startRedisSentinel, startRedisServer, type RedisSentinel, type RedisServer } from '../../scripts/local-cluster/index.js';

const log = pino({ level: 'silent' });

describe('Redis with a password and with TLS (real Redis)', () => {
  let dir: string;
  let server: RedisServer;
  let tlsServer: RedisServer;
  let tlsPort: number;
  /** A sentinel that speaks TLS (on sentinelTlsPort) and watches tlsServer's TLS port. */
  let sentinel: RedisSentinel;
  let sentinelTlsPort: number;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'quantgrid-redis-access-'));
    server = await startRedisServer({ password: 'correct horse battery staple' });
    await writeFile(path.join(dir, 'right'), 'correct horse battery staple\n', { mode: 0o600 });
    await writeFile(path.join(dir, 'wrong'), 'tr0ub4dor\n', { mode: 0o600 });

    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=quantgrid test CA');
    await writeFile(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=quantgrid redis');
    openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
    tlsPort = await freePort();
    tlsServer = await startRedisServer({
      extraArgs: ['--tls-port', String(tlsPort), '--tls-cert-file', path.join(dir, 'server.crt'), '--tls-key-file', path.join(dir, 'server.key'), '--tls-ca-cert-file', path.join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
    });
    sentinelTlsPort = await freePort();
    sentinel = await startRedisSentinel({
      masterName: 'tls-master',
      masterPort: tlsPort,
      quorum: 1,
      extraConfig: [
        `tls-port ${sentinelTlsPort}`,
        `tls-cert-file "${path.join(dir, 'server.crt')}"`,
        `tls-key-file "${path.join(dir, 'server.key')}"`,
        `tls-ca-cert-file "${path.join(dir, 'ca.crt')}"`,
        'tls-auth-clients no',
        // The sentinel reaches the master over TLS too.
        'tls-replication yes',
      ],
    });
  });
  after(async () => {
    await server?.stop();
    await tlsServer?.stop();
    await sentinel?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the password from a file works; a wrong or missing one says "Redis authentication failed" at once', async () => {
    const address = parseRedisAddress(server.url);
    const redis = await connectRedis({ address, passwordFile: path.join(dir, 'right') }, log, new AbortController().signal);
    assert.equal(await redis.set('k', 'v'), 'OK');
    redis.disconnect();
    for (const access of [{ address, passwordFile: path.join(dir, 'wrong') }, { address }]) {
      const started = Date.now();
      await assert.rejects(connectRedis(access, log, new AbortController().signal), (error: Error) => {
        assert.ok(error instanceof RedisAuthenticationError, String(error));
        assert.match(error.message, /^Redis authentication failed/);
        assert.ok(!error.message.includes('tr0ub4dor'), 'the password is not in the message');
        return true;
      });
      assert.ok(Date.now() - started < 3000, 'not retried as if Redis were unreachable');
    }
    await assert.rejects(connectRedis({ address, passwordFile: path.join(dir, 'missing') }, log, new AbortController().signal), /the Redis password file: cannot read .*missing: no such file/);
  });

  test('rediss:// with your own CA', async () => {
    const address = parseRedisAddress(`rediss://127.0.0.1:${tlsPort}`);
    const redis = await connectRedis({ address, tlsCaFile: path.join(dir, 'ca.crt') }, log, new AbortController().signal);
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
    await assert.rejects(connectRedis({ address: parseRedisAddress(server.url), tlsCaFile: path.join(dir, 'ca.crt') }, log, new AbortController().signal), /rediss/);
  });

  // The sentinel names the master's TLS port: only a TLS connection gets an answer there (a plaintext one would retry until the timeout).
  test('sentinels:// with your own CA: TLS to the sentinel and to the master it names', { timeout: 20_000 }, async () => {
    const address = parseRedisAddress(`sentinels://127.0.0.1:${sentinelTlsPort}/tls-master`);
    const redis = await connectRedis({ address, tlsCaFile: path.join(dir, 'ca.crt') }, log, new AbortController().signal);
    try {
      assert.equal(await redis.set('over-tls', 'yes'), 'OK');
      assert.match(await redis.info('server'), new RegExp(`^tcp_port:${tlsServer.port}\\r?$`, 'm'));
    } finally {
      redis.disconnect();
    }
  });
});
