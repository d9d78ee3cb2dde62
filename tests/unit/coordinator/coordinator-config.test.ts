import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { COORDINATOR_OPTIONS, toCoordinatorConfig } from '../../../coordinator/config/coordinator-config.js';

const MAIN = fileURLToPath(new URL('../../../coordinator/main.js', import.meta.url));
/** A file that exists, for the options that only check a file can be read. */
const SELF = fileURLToPath(import.meta.url);

function parse(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const program = new Command().exitOverride();
    for (const option of COORDINATOR_OPTIONS) program.addOption(option);
    program.parse(args, { from: 'user' });
    return toCoordinatorConfig(program.opts());
  } finally {
    process.env = saved;
  }
}

test('defaults', () => {
  const config = parse([]);
  assert.deepEqual(config.listen, { host: '127.0.0.1', port: 7000 });
  assert.equal(config.consulUrl.href, 'http://127.0.0.1:8500/');
  assert.deepEqual(config.weights, { cpu: 0.4, memory: 0.3, network: 0.3 });
  assert.equal(config.specialtyBonus, 1.5);
  assert.equal(config.maxAttempts, 3);
  assert.equal(config.heartbeatTimeoutMs, 1500);
  assert.deepEqual(config.straggler, { ratio: 2, doneFraction: 0.75, minRuntimeMs: 2000 });
  assert.equal(config.quarantineMs, 30_000);
});

test('environment variables apply, flags win over them', () => {
  const fromEnv = parse([], { QUANTGRID_MAX_ATTEMPTS: '5', QUANTGRID_SCORE_WEIGHTS: 'cpu=1,memory=0,network=0' });
  assert.equal(fromEnv.maxAttempts, 5);
  assert.deepEqual(fromEnv.weights, { cpu: 1, memory: 0, network: 0 });
  assert.equal(parse(['--max-attempts', '2'], { QUANTGRID_MAX_ATTEMPTS: '5' }).maxAttempts, 2);
  assert.equal(parse(['--quarantine', '1m30s']).quarantineMs, 90_000);
  assert.equal(parse([], { QUANTGRID_SPECIALTY_BONUS: '2' }).specialtyBonus, 2);
  assert.equal(parse(['--specialty-bonus', '1'], { QUANTGRID_SPECIALTY_BONUS: '2' }).specialtyBonus, 1);
  assert.deepEqual(parse(['--straggler-ratio', '3'], { QUANTGRID_STRAGGLER_RATIO: '0', QUANTGRID_STRAGGLER_DONE: '0.5', QUANTGRID_STRAGGLER_MIN_RUNTIME: '10s' }).straggler, { ratio: 3, doneFraction: 0.5, minRuntimeMs: 10_000 });
});

test('bad values name the flag', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--listen', 'nowhere'], /--listen/],
    [['--redis', 'http://x:1'], /--redis: .*redis:\/\//],
    [['--weights', 'cpu=x'], /--weights/],
    [['--weights', 'cpu=0,memory=0,network=0'], /--weights: weights must not all be 0/],
    [['--max-attempts', '0'], /--max-attempts/],
    [['--specialty-bonus', '0.5'], /--specialty-bonus: "0.5" is not a factor from 1 \(no bonus\) to 10/],
    [['--specialty-bonus', '11'], /--specialty-bonus: "11" is not a factor/],
    [['--specialty-bonus', 'x'], /--specialty-bonus/],
    [['--specialty-bonus', ''], /--specialty-bonus/],
    [['--quarantine', '30'], /--quarantine: "30" is not a duration/],
    [['--redis', 'sentinel://s1:26379'], /--redis: "sentinel:\/\/s1:26379" names no master/],
    [['--redis', 'sentinel://s1,s2:port/mymaster'], /--redis: sentinel "s2:port" is not HOST or HOST:PORT/],
    [['--redis', 'sentinel://s1/mymaster', '--redis-tls-ca', SELF], /--redis-tls-ca: needs a rediss:\/\/ or sentinels:\/\/ URL in --redis/],
    [['--redis-sentinel-password-file', SELF], /--redis-sentinel-password-file: needs a sentinel:\/\/ or sentinels:\/\/ URL in --redis/],
    [['--straggler-ratio', '1'], /--straggler-ratio: "1" must be 0 \(no backups\) or a number above 1/],
    [['--straggler-ratio', 'x'], /--straggler-ratio/],
    [['--straggler-done', '0'], /--straggler-done: "0" must be above 0 and at most 1/],
    [['--straggler-done', '1.5'], /--straggler-done/],
    [['--straggler-min-runtime', 'soon'], /--straggler-min-runtime/],
  ];
  for (const [args, message] of cases) assert.throws(() => parse(args), message, args.join(' '));
});

test('the process exits 2 with one line on a bad flag, 0 on --help', () => {
  const bad = spawnSync(process.execPath, [MAIN, '--max-attempts', 'many'], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr.trim(), /^quantgrid-coordinator: --max-attempts: /);
  assert.equal(bad.stderr.trim().split('\n').length, 1);
  const help = spawnSync(process.execPath, [MAIN, '--help'], { encoding: 'utf8' });
  assert.equal(help.status, 0);
  // --no-auth has no variable on purpose: only an explicit flag turns authentication off.
  for (const option of COORDINATOR_OPTIONS) {
    if (option.long === '--no-auth') assert.equal(option.envVar, undefined);
    else assert.ok(help.stdout.includes(option.envVar!), option.envVar);
  }
});

test('--redis: a sentinel address with the sentinels\' password file and a TLS CA (sentinels://)', () => {
  const config = parse(['--redis', 'sentinels://s1,s2:26380/mymaster?db=1', '--redis-sentinel-password-file', SELF, '--redis-tls-ca', SELF]);
  assert.equal(config.redis.kind, 'sentinel');
  assert.equal(config.redis.kind === 'sentinel' && config.redis.masterName, 'mymaster');
  assert.equal(config.redisSentinelPasswordFile, SELF);
  assert.equal(config.redisTlsCaFile, SELF);
  assert.equal(parse([], { QUANTGRID_REDIS: 'sentinel://s1/m' }).redis.kind, 'sentinel');
  assert.equal(parse([]).redis.kind, 'server');
});

test('durability settings: BullMQ lock and stall check, retention, partition cache', () => {
  const config = parse([]);
  assert.equal(config.jobLockMs, 10_000);
  assert.equal(config.stalledIntervalMs, 5_000);
  assert.equal(config.maxStalled, 5);
  assert.equal(config.retentionMs, 7 * 86_400_000);
  assert.equal(config.retentionCount, 1000);
  assert.equal(config.partitionCacheTtlMs, 7 * 86_400_000);
  assert.equal(config.minScheduleIntervalMs, 60_000);
  const custom = parse(['--job-lock', '2s', '--stalled-interval', '500ms', '--max-stalled', '2', '--retention', '1d12h'], { QUANTGRID_PARTITION_CACHE_TTL: '30m' });
  assert.equal(custom.jobLockMs, 2000);
  assert.equal(custom.stalledIntervalMs, 500);
  assert.equal(custom.maxStalled, 2);
  assert.equal(custom.retentionMs, 36 * 3_600_000);
  assert.equal(custom.partitionCacheTtlMs, 1_800_000);
  assert.throws(() => parse(['--retention', 'forever']), /--retention: "forever" is not a duration/);
});

test('a metrics endpoint beyond loopback without a token: both processes refuse to start, in one line', () => {
  const AGENT = fileURLToPath(new URL('../../../node-agent/main.js', import.meta.url));
  for (const [main, name] of [[MAIN, 'coordinator'], [AGENT, 'agent']] as const) {
    const refused = spawnSync(process.execPath, [main, '--no-auth', ...(name === 'agent' ? ['--host', '127.0.0.1'] : []), '--metrics-listen', '0.0.0.0:0'], { encoding: 'utf8', timeout: 10_000 });
    assert.equal(refused.status, 2, refused.stderr);
    assert.equal(refused.stderr.trim(), `quantgrid-${name}: --metrics-listen: 0.0.0.0 is not a loopback address; give --metrics-token-file (scrapers then send it as a bearer token) or listen on 127.0.0.1`);
  }
});
