import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseRedisAddress, redisDisplayName } from '../../../coordinator/redis/redis-address.js';
import { redisOptions } from '../../../coordinator/redis/redis-connection.js';

test('redis:// and rediss:// stay one server at a URL', () => {
  const plain = parseRedisAddress('redis://10.0.0.5:6379');
  assert.equal(plain.kind, 'server');
  assert.equal(plain.tls, false);
  const tls = parseRedisAddress('rediss://:pw@redis.example:6380/2');
  assert.equal(tls.kind, 'server');
  assert.equal(tls.tls, true);
  assert.equal(redisDisplayName(tls), 'rediss://redis.example:6380');
});

test('sentinel:// names the sentinels (26379 unless given), the master, the db and the master\'s credentials', () => {
  assert.deepEqual(parseRedisAddress('sentinel://:s3cr%40t@10.0.0.1:26380,10.0.0.2,[::1]:26381/my%20master?db=3'), {
    kind: 'sentinel',
    sentinels: [
      { host: '10.0.0.1', port: 26380 },
      { host: '10.0.0.2', port: 26379 },
      { host: '::1', port: 26381 },
    ],
    masterName: 'my master',
    db: 3,
    username: undefined,
    password: 's3cr@t',
    tls: false,
  });
  const tls = parseRedisAddress('sentinels://quant:pw@s1:26379/mymaster/');
  assert.equal(tls.kind, 'sentinel');
  assert.equal(tls.tls, true);
  assert.equal(tls.kind === 'sentinel' && tls.username, 'quant');
  assert.equal(tls.kind === 'sentinel' && tls.db, 0);
});

test('the display name shows hosts, ports and the master, never the password', () => {
  const address = parseRedisAddress('sentinel://:hunter2@s1,[::1]:26390/mymaster');
  assert.equal(redisDisplayName(address), 'sentinel://s1:26379,[::1]:26390/mymaster');
});

test('a bad sentinel address is refused with the reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['sentinel:///mymaster', /names no sentinel/],
    ['sentinel://s1:26379', /names no master/],
    ['sentinel://s1:26379/', /names no master/],
    ['sentinel://s1:0/m', /sentinel "s1:0" is not HOST or HOST:PORT/],
    ['sentinel://s1:70000/m', /sentinel "s1:70000"/],
    ['sentinel://s1:x/m', /sentinel "s1:x"/],
    ['sentinel://s1,,s2/m', /sentinel "" is not HOST/],
    ['sentinel://s1/m?database=1', /unknown parameter "database"/],
    ['sentinel://s1/m?db=-1', /db "-1" is not a database number/],
    ['sentinel://s1/m/extra', /is not like sentinel:\/\//],
    ['sentinel://s1/%zz', /the master name "%zz" is not valid percent-encoding/],
    ['http://s1:26379', /must start with redis:\/\/ or rediss:\/\/ or sentinel:\/\/ or sentinels:\/\//],
    ['nonsense', /is not a URL/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseRedisAddress(text), message, text);
});

test('any list of sentinels, master name and db survives display and parsing again', () => {
  const host = fc.oneof(fc.ipV4(), fc.domain(), fc.ipV6());
  const endpoint = fc.record({ host, port: fc.integer({ min: 1, max: 65535 }) });
  fc.assert(
    fc.property(fc.array(endpoint, { minLength: 1, maxLength: 5 }), fc.string({ minLength: 1, maxLength: 20 }), fc.boolean(), (sentinels, masterName, tls) => {
      const shown = redisDisplayName({ kind: 'sentinel', sentinels, masterName, db: 0, tls });
      const parsed = parseRedisAddress(shown);
      assert.equal(parsed.kind, 'sentinel');
      if (parsed.kind !== 'sentinel') return;
      assert.deepEqual(parsed.sentinels, sentinels.map((endpoint) => ({ ...endpoint })));
      assert.equal(parsed.masterName, masterName);
      assert.equal(parsed.tls, tls);
    }),
  );
});

test('the ioredis options of a sentinel address: the sentinels, the master, TLS to both with sentinels://', async () => {
  const plain = await redisOptions({ address: parseRedisAddress('sentinel://:pw@s1:26379,s2:26380/mymaster?db=2') });
  assert.deepEqual(plain.sentinels, [
    { host: 's1', port: 26379 },
    { host: 's2', port: 26380 },
  ]);
  assert.equal(plain.name, 'mymaster');
  assert.equal(plain.db, 2);
  assert.equal(plain.password, 'pw');
  assert.equal(plain.enableTLSForSentinelMode, undefined);
  assert.equal(plain.tls, undefined);
  const tls = await redisOptions({ address: parseRedisAddress('sentinels://s1/mymaster') });
  assert.equal(tls.enableTLSForSentinelMode, true);
  assert.deepEqual([tls.tls, tls.sentinelTLS], [{}, {}]);
  await assert.rejects(redisOptions({ address: parseRedisAddress('redis://r:6379'), sentinelPasswordFile: '/dev/null' }), /--redis-sentinel-password-file needs a sentinel:\/\/ address/);
  await assert.rejects(redisOptions({ address: parseRedisAddress('sentinel://s1/m'), tlsCaFile: '/dev/null' }), /--redis-tls-ca needs a rediss:\/\/ or sentinels:\/\/ address/);
});
