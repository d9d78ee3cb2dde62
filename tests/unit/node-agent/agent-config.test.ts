import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AGENT_OPTIONS as AGENT_OPTION_OBJECTS, parseAgentConfig, parseDuration, resolveNodeId } from '../../../node-agent/agent-config.js';
import { defaultAdvertiseAddress } from '../../../shared/config/advertise-address.js';
import { CommandLineExit as AgentConfigExit } from '../../../shared/config/command-line.js';
import { exitOf } from '../../helpers/command-line.js';

/**
 * The option table as the docs document it, read off the commander Options. --no-auth is the one
 * option without a variable or default on purpose: only an explicit flag turns authentication off.
 */
const AGENT_OPTIONS = AGENT_OPTION_OBJECTS.filter((option) => option.long !== '--no-auth').map((option) => ({
  flags: option.flags,
  env: option.envVar!,
  defaultText: option.defaultValueDescription!,
  description: option.description,
}));

const parse = (argv: string[], env: Record<string, string> = {}) => parseAgentConfig(argv, { env, cores: 4 });

test('defaults', () => {
  const config = parse([]);
  assert.deepEqual(config.consul, { url: 'http://127.0.0.1:8500', host: '127.0.0.1', port: 8500, secure: false });
  assert.equal(config.nodeId, undefined);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.port, 7070);
  assert.equal(config.slots, 4);
  assert.ok(config.capabilities.includes('noop'));
  assert.deepEqual(config.specialties, []);
  assert.equal(config.checkTtlMs, 3_000);
  assert.equal(config.deregisterAfterMs, 60_000);
  assert.equal(config.heartbeatMs, 500);
  assert.equal(config.drainTimeoutMs, 30_000);
  assert.deepEqual(config.tls, {});
});

test('--specialties: task kinds from the registry, deduplicated, from the flag or QUANTGRID_SPECIALTIES', () => {
  assert.deepEqual(parse(['--specialties', 'backtest, market-analysis,backtest']).specialties, ['backtest', 'market-analysis']);
  assert.deepEqual(parse([], { QUANTGRID_SPECIALTIES: 'noop' }).specialties, ['noop']);
  assert.deepEqual(parse(['--specialties', ''], { QUANTGRID_SPECIALTIES: 'noop' }).specialties, [], 'an empty flag: none, over the variable');
});

test('--no-auth is a flag only: no environment can switch authentication off', () => {
  const noAuth = AGENT_OPTION_OBJECTS.find((option) => option.long === '--no-auth');
  assert.ok(noAuth && noAuth.negate && noAuth.envVar === undefined);
  assert.equal(parse(['--no-auth']).auth, false);
  assert.equal(parse([], { QUANTGRID_NO_AUTH: '1' }).auth, true);
});

test('every option has a long flag, an environment variable, a default and a description', () => {
  const envs = new Set<string>();
  for (const option of AGENT_OPTIONS) {
    assert.match(option.flags, /^--[a-z-]+ <[a-z]+>$/);
    assert.match(option.env, /^QUANTGRID_[A-Z_]+$/);
    assert.ok(option.defaultText.length > 0 && option.description.length > 0);
    envs.add(option.env);
  }
  assert.equal(envs.size, AGENT_OPTIONS.length, 'environment variables are unique');
});

test('environment variables apply, flags win over them', () => {
  const env = {
    QUANTGRID_CONSUL: 'http://consul.local:8600',
    QUANTGRID_NODE_ID: 'from-env',
    QUANTGRID_AGENT_PORT: '9000',
    QUANTGRID_SLOTS: '3',
    QUANTGRID_CHECK_TTL: '5s',
    QUANTGRID_DRAIN_TIMEOUT: '1m30s',
    QUANTGRID_HEARTBEAT_MS: '250',
    QUANTGRID_CAPABILITIES: 'noop, backtest ,noop',
  };
  const fromEnv = parse([], env);
  assert.equal(fromEnv.consul.host, 'consul.local');
  assert.equal(fromEnv.consul.port, 8600);
  assert.equal(fromEnv.nodeId, 'from-env');
  assert.equal(fromEnv.port, 9000);
  assert.equal(fromEnv.slots, 3);
  assert.equal(fromEnv.checkTtlMs, 5_000);
  assert.equal(fromEnv.drainTimeoutMs, 90_000);
  assert.equal(fromEnv.heartbeatMs, 250);
  assert.deepEqual(fromEnv.capabilities, ['noop', 'backtest']);

  const flags = parse(['--node-id', 'from-flag', '--port', '0', '--slots', '1', '--check-ttl=2500ms'], env);
  assert.equal(flags.nodeId, 'from-flag');
  assert.equal(flags.port, 0);
  assert.equal(flags.slots, 1);
  assert.equal(flags.checkTtlMs, 2_500);
});

test('the disk cache budget: bytes or a number with a unit, 10 GiB by default', () => {
  assert.equal(parse([]).datasetCacheDiskBytes, 10 * 1024 ** 3);
  assert.equal(parse(['--dataset-cache-disk-bytes', '123456']).datasetCacheDiskBytes, 123_456);
  assert.equal(parse(['--dataset-cache-disk-bytes', '0']).datasetCacheDiskBytes, 0);
  assert.equal(parse(['--dataset-cache-disk-bytes', '500MiB']).datasetCacheDiskBytes, 500 * 1024 ** 2);
  assert.equal(parse(['--dataset-cache-disk-bytes', '1.5 GiB']).datasetCacheDiskBytes, 1.5 * 1024 ** 3);
  assert.equal(parse(['--dataset-cache-disk-bytes', '20GB']).datasetCacheDiskBytes, 20e9);
  assert.equal(parse(['--dataset-cache-disk-bytes', '2kb']).datasetCacheDiskBytes, 2000);
  assert.equal(parse([], { QUANTGRID_DATASET_CACHE_DISK_BYTES: '1TiB' }).datasetCacheDiskBytes, 1024 ** 4);
  assert.equal(parse(['--dataset-cache-disk-bytes', '7'], { QUANTGRID_DATASET_CACHE_DISK_BYTES: '1TiB' }).datasetCacheDiskBytes, 7);
  for (const bad of ['-1', 'lots', '5 parsecs', '1e3', '10 GiB extra', 'constructor', '']) {
    const exit = exitOf(() => parse(['--dataset-cache-disk-bytes', bad]));
    assert.equal(exit.exitCode, 2, bad);
    assert.match(exit.message, /^--dataset-cache-disk-bytes: ".*" is not a byte count/, bad);
  }
  assert.match(exitOf(() => parse([], { QUANTGRID_DATASET_CACHE_DISK_BYTES: 'x' })).message, /^QUANTGRID_DATASET_CACHE_DISK_BYTES: "x" is not a byte count/);
});

test('an empty environment variable counts as unset', () => {
  assert.equal(parse([], { QUANTGRID_AGENT_PORT: '' }).port, 7070);
});

test('bad values exit with code 2 and a one-line message naming the option', () => {
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [['--port', '70000'], {}, /--port: "70000" must be an integer from 0 to 65535/],
    [['--port', 'x'], {}, /--port/],
    [['--slots', '0'], {}, /--slots/],
    [[], { QUANTGRID_SLOTS: '2.5' }, /QUANTGRID_SLOTS/],
    [['--consul', 'consul:8500'], {}, /--consul/],
    [['--consul', 'ftp://x:1'], {}, /--consul: .* http/],
    [['--check-ttl', '1s'], {}, /--check-ttl: must be at least 2s/],
    [['--check-ttl', '3'], {}, /--check-ttl: "3" is not a duration/],
    [['--deregister-after', '30s'], {}, /--deregister-after: must be at least 1m/],
    [['--heartbeat-ms', '10'], {}, /--heartbeat-ms/],
    [['--drain-timeout', 'soon'], {}, /--drain-timeout/],
    [['--node-id', 'has space'], {}, /--node-id/],
    [['--capabilities', ' , '], {}, /--capabilities: give at least one/],
    [['--capabilities', 'a b'], {}, /--capabilities/],
    // Jobs require lower-case capabilities only: an agent may not advertise one no job can require.
    [['--capabilities', 'noop,GPU'], {}, /--capabilities: "GPU" is not a valid capability \(lower-case/],
    [['--specialties', 'backtest,gpu'], {}, /--specialties: "gpu" is not a task kind \(one of backtest, market-analysis, noop\)/],
    [[], { QUANTGRID_SPECIALTIES: 'Backtest' }, /QUANTGRID_SPECIALTIES.*"Backtest" is not a task kind/],
    [['--specialties', 'market-analysis', '--capabilities', 'backtest,noop'], {}, /--specialties: market-analysis needs the capability market-analysis, which --capabilities leaves out/],
    [['--advertise-address', '0.0.0.0'], {}, /--advertise-address/],
    [['--tls-cert', '/nonexistent/cert.pem'], {}, /--tls-cert and --tls-key/],
    [['--unknown-flag'], {}, /unknown option '--unknown-flag'/],
    [['extra'], {}, /too many arguments|unexpected/i],
  ];
  for (const [argv, env, message] of cases) {
    const exit = exitOf(() => parse(argv, env));
    assert.equal(exit.exitCode, 2, argv.join(' '));
    assert.match(exit.message, message, argv.join(' '));
    assert.ok(!exit.message.includes('\n'), `one line: ${exit.message}`);
  }
});

test('TLS files must be readable; a CA needs a certificate and key', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qg-agent-config-'));
  try {
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    writeFileSync(cert, 'x');
    writeFileSync(key, 'x');
    assert.deepEqual(parse(['--tls-cert', cert, '--tls-key', key]).tls, { certFile: cert, keyFile: key });
    assert.match(exitOf(() => parse(['--tls-cert', cert, '--tls-key', path.join(dir, 'missing.pem')])).message, /--tls-key: cannot read/);
    assert.match(exitOf(() => parse(['--tls-ca', cert])).message, /--tls-ca/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--help prints every option with its environment variable and exits 0', () => {
  let out = '';
  const exit = exitOf(() => parseAgentConfig(['--help'], { env: {}, writeOut: (text) => (out += text) }));
  assert.equal(exit.exitCode, 0);
  for (const option of AGENT_OPTIONS) {
    assert.ok(out.includes(option.flags.split(' ')[0]), `help mentions ${option.flags}`);
    assert.ok(out.includes(option.env), `help mentions ${option.env}`);
  }
});

test('durations', () => {
  assert.equal(parseDuration('500ms', 'x'), 500);
  assert.equal(parseDuration('3s', 'x'), 3_000);
  assert.equal(parseDuration('1.5s', 'x'), 1_500);
  assert.equal(parseDuration('1m30s', 'x'), 90_000);
  assert.equal(parseDuration('2h', 'x'), 7_200_000);
  for (const bad of ['', '5', 's', '1x', '-1s', '1s2']) {
    assert.throws(() => parseDuration(bad, 'x'), AgentConfigExit, bad);
  }
});

test('advertise address defaults', () => {
  const interfaces = {
    lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null }],
    eth0: [
      { address: 'fe80::1', family: 'IPv6', internal: false, netmask: '', mac: '', cidr: null, scopeid: 1 },
      { address: '10.1.2.3', family: 'IPv4', internal: false, netmask: '', mac: '', cidr: null },
    ],
  } as unknown as ReturnType<typeof import('node:os').networkInterfaces>;
  assert.equal(defaultAdvertiseAddress('127.0.0.1', interfaces), '127.0.0.1');
  assert.equal(defaultAdvertiseAddress('localhost', interfaces), '127.0.0.1');
  assert.equal(defaultAdvertiseAddress('::1', interfaces), '127.0.0.1');
  assert.equal(defaultAdvertiseAddress('0.0.0.0', interfaces), '10.1.2.3');
  assert.equal(defaultAdvertiseAddress('192.168.0.7', interfaces), '192.168.0.7');
  assert.equal(defaultAdvertiseAddress('0.0.0.0', { lo: interfaces.lo }), '127.0.0.1');
  assert.equal(parse(['--host', '127.0.0.1']).advertiseAddress, '127.0.0.1');
  assert.equal(parse(['--host', '127.0.0.1', '--advertise-address', 'agent-7.lan']).advertiseAddress, 'agent-7.lan');
});

test('node id defaults to hostname and port', () => {
  assert.equal(resolveNodeId({ nodeId: undefined }, 7070, 'box.example'), 'box.example-7070');
  assert.equal(resolveNodeId({ nodeId: undefined }, 1, 'weird host/name'), 'weird-host-name-1');
  assert.equal(resolveNodeId({ nodeId: 'mine' }, 7070, 'box'), 'mine');
});
