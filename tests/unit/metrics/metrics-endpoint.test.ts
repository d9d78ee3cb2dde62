import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { Counter } from 'prom-client';
import { SecretFile } from '../../../shared/config/secret-file.js';
import { bearerMatches, startMetricsServer } from '../../../shared/metrics/metrics-server.js';
import { createMetricsRegistry } from '../../../shared/metrics/metrics-registry.js';
import { metricsRefusal, parseMetricsListen } from '../../../shared/metrics/metrics-options.js';
import { sampleValue } from '../../helpers/metrics.js';

const log = pino({ level: 'silent' });

describe('metrics options: secure by default', () => {
  test('"off", or host:port', () => {
    assert.equal(parseMetricsListen('off'), undefined);
    assert.deepEqual(parseMetricsListen('0.0.0.0:9471'), { host: '0.0.0.0', port: 9471 });
    assert.deepEqual(parseMetricsListen('[::1]:0'), { host: '::1', port: 0 });
    assert.throws(() => parseMetricsListen('9471'), /not HOST:PORT \(or "off"\)/);
  });

  test('beyond loopback only with a token', () => {
    const token = new SecretFile('/t', 'x');
    assert.equal(metricsRefusal({ listen: { host: '127.0.0.1', port: 9470 }, token: undefined }), undefined);
    assert.equal(metricsRefusal({ listen: undefined, token: undefined }), undefined);
    assert.equal(metricsRefusal({ listen: { host: '10.0.0.5', port: 9470 }, token }), undefined);
    for (const host of ['0.0.0.0', '10.0.0.5', '::']) {
      assert.match(metricsRefusal({ listen: { host, port: 9470 }, token: undefined }) ?? '', /^--metrics-listen: .* is not a loopback address; give --metrics-token-file/);
    }
  });
});

describe('the /metrics endpoint', () => {
  test('serves the registry on GET /metrics; with a token, only to who sends it', async () => {
    const registry = createMetricsRegistry();
    const counter = new Counter({ name: 'quantgrid_test_things_total', help: 'things', registers: [registry] });
    counter.inc(3);
    const server = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, token: new SecretFile('/t', 's3cret'), log });
    try {
      assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      assert.equal((await fetch(server.url)).status, 401);
      assert.equal((await fetch(server.url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
      const ok = await fetch(server.url, { headers: { authorization: 'Bearer s3cret' } });
      assert.equal(ok.status, 200);
      const text = await ok.text();
      assert.equal(sampleValue(text, 'quantgrid_test_things_total'), 3);
      assert.ok(sampleValue(text, 'process_cpu_seconds_total') !== undefined, 'default metrics');
      assert.equal((await fetch(new URL('/other', server.url), { headers: { authorization: 'Bearer s3cret' } })).status, 404);
      assert.equal((await fetch(server.url, { method: 'POST', headers: { authorization: 'Bearer s3cret' } })).status, 405);
    } finally {
      await server.close();
    }
  });

  test('a port in use is a clear start-up error', async () => {
    const registry = createMetricsRegistry();
    const first = await startMetricsServer({ host: '127.0.0.1', port: 0, registry, log });
    try {
      await assert.rejects(startMetricsServer({ host: '127.0.0.1', port: first.port, registry, log }), /cannot listen on 127\.0\.0\.1:\d+: the port is in use/);
    } finally {
      await first.close();
    }
  });

  test('the bearer check', () => {
    assert.equal(bearerMatches('Bearer abc', 'abc'), true);
    assert.equal(bearerMatches('bearer abc', 'abc'), true);
    assert.equal(bearerMatches('Bearer abcd', 'abc'), false);
    assert.equal(bearerMatches('Basic abc', 'abc'), false);
    assert.equal(bearerMatches(undefined, 'abc'), false);
  });
});
