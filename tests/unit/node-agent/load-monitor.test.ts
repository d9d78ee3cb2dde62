import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import si from 'systeminformation';
import { linuxNetBytes, LoadMonitor, systemLoadReader, type LoadReader } from '../../../node-agent/load-monitor.js';
import { readMachineProfile } from '../../../node-agent/machine-profile.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('samples on an interval, computes network rates and reads busy slots live', async () => {
  let rx = 0;
  let busy = 1;
  const reader: LoadReader = {
    cpuLoad: async () => 0.25,
    memoryAvailableBytes: async () => 1_000,
    netBytes: async () => {
      rx += 1_000;
      return { rx, tx: 0 };
    },
  };
  const monitor = new LoadMonitor({ busySlots: () => busy, reader, intervalMs: 50 });
  await monitor.start();
  try {
    const first = monitor.current();
    assert.equal(first.cpuLoad, 0.25);
    assert.equal(first.memoryAvailableBytes, 1_000);
    assert.equal(first.netRxBytesPerS, 0, 'no rate from a single sample');
    await sleep(180);
    const later = monitor.current();
    assert.ok(monitor.sampleCount >= 3, `${monitor.sampleCount} samples`);
    // 1000 bytes per ~50 ms ≈ 20 kB/s.
    assert.ok(later.netRxBytesPerS > 10_000 && later.netRxBytesPerS < 30_000, `rx ${later.netRxBytesPerS}`);
    busy = 2;
    assert.equal(monitor.current().busySlots, 2);
  } finally {
    monitor.stop();
  }
});

test('a slow sample never overlaps the next one', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  let calls = 0;
  const slow = async <T>(value: T): Promise<T> => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    calls++;
    await sleep(120);
    inFlight--;
    return value;
  };
  const reader: LoadReader = {
    cpuLoad: () => slow(0.5),
    memoryAvailableBytes: async () => 1,
    netBytes: async () => ({ rx: 0, tx: 0 }),
  };
  const monitor = new LoadMonitor({ busySlots: () => 0, reader, intervalMs: 10 });
  await monitor.start();
  // Event loop stays free while sampling: a timer fires on time.
  const before = performance.now();
  await sleep(20);
  assert.ok(performance.now() - before < 60);
  await sleep(400);
  monitor.stop();
  assert.equal(maxInFlight, 1, 'one sample at a time');
  assert.ok(calls <= 5, `${calls} samples in ~540 ms of 120 ms samples`);
});

test('failed readings keep the last values and never throw', async () => {
  let fail = false;
  const reader: LoadReader = {
    cpuLoad: async () => {
      if (fail) throw new Error('no /proc');
      return 2; // clamped to 1
    },
    memoryAvailableBytes: async () => 42,
    netBytes: async () => ({ rx: 0, tx: 0 }),
  };
  const monitor = new LoadMonitor({ busySlots: () => 0, reader, intervalMs: 1_000 });
  await monitor.start();
  assert.equal(monitor.current().cpuLoad, 1);
  fail = true;
  await monitor.sampleOnce();
  assert.equal(monitor.current().cpuLoad, 1);
  monitor.stop();
});

test('real machine readings are sane', async () => {
  const profile = await readMachineProfile();
  assert.ok(profile.cores >= 1);
  assert.ok(profile.memoryTotalBytes > 0);
  assert.ok(profile.cpuSpeedGhz >= 0);
  assert.ok(profile.netSpeedMbps > 0);
  const monitor = new LoadMonitor({ busySlots: () => 0, reader: systemLoadReader(profile.netInterface) });
  await monitor.start();
  monitor.stop();
  const sample = monitor.current();
  assert.ok(sample.cpuLoad >= 0 && sample.cpuLoad <= 1);
  assert.ok(sample.memoryAvailableBytes > 0 && sample.memoryAvailableBytes <= profile.memoryTotalBytes);
  assert.ok(sample.sampledAt > 0);
});

test('network counters from /sys/class/net: one interface, or all but loopback; none without the directory', async () => {
  const root = mkdtempSync(join(tmpdir(), 'quantgrid-sysnet-'));
  try {
    const iface = (name: string, rx: number, tx: number) => {
      mkdirSync(join(root, name, 'statistics'), { recursive: true });
      writeFileSync(join(root, name, 'statistics', 'rx_bytes'), `${rx}\n`);
      writeFileSync(join(root, name, 'statistics', 'tx_bytes'), `${tx}\n`);
    };
    iface('lo', 1_000_000, 1_000_000);
    iface('eth0', 1_500, 700);
    iface('eth1', 20, 3);
    assert.deepEqual(await linuxNetBytes(undefined, root), { rx: 1_520, tx: 703 });
    assert.deepEqual(await linuxNetBytes('eth1', root), { rx: 20, tx: 3 });
    assert.equal(await linuxNetBytes('eth9', root), undefined);
    assert.equal(await linuxNetBytes(undefined, join(root, 'absent')), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('on Linux the network counters match systeminformation for the same interface', { skip: process.platform !== 'linux' }, async (t) => {
  const { netInterface } = await readMachineProfile();
  if (!netInterface) return t.skip('no default network interface');
  const ours = await systemLoadReader(netInterface).netBytes();
  const [theirs] = await si.networkStats(netInterface);
  const later = await systemLoadReader(netInterface).netBytes();
  // Counters only grow: systeminformation's reading, taken in between, lies between ours.
  assert.ok(ours.rx <= theirs.rx_bytes && theirs.rx_bytes <= later.rx, `rx ${ours.rx} ≤ ${theirs.rx_bytes} ≤ ${later.rx}`);
  assert.ok(ours.tx <= theirs.tx_bytes && theirs.tx_bytes <= later.tx, `tx ${ours.tx} ≤ ${theirs.tx_bytes} ≤ ${later.tx}`);
});
