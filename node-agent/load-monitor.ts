import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import si from 'systeminformation';
import type { Logger } from '../shared/logging.js';
import { errorMessage } from '../shared/errors.js';

/** One load sample of the whole machine, plus the agent's own busy slots. */
export interface LoadSample {
  /** CPU use of the whole machine, 0..1. */
  cpuLoad: number;
  memoryAvailableBytes: number;
  netRxBytesPerS: number;
  netTxBytesPerS: number;
  /** Busy worker slots, read when current() is called. */
  busySlots: number;
  /** Date.now() of the machine sample (0 before the first one). */
  sampledAt: number;
}

/** The raw readings; systeminformation by default, replaceable in tests. */
export interface LoadReader {
  /** CPU use since the previous call, 0..1. */
  cpuLoad(): Promise<number>;
  memoryAvailableBytes(): Promise<number>;
  /** Cumulative byte counters of the measured interface(s). */
  netBytes(): Promise<{ rx: number; tx: number }>;
}

/** Busy and total CPU time of all cores since boot, in ms. */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of os.cpus()) {
    const all = times.user + times.nice + times.sys + times.irq + times.idle;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

const SYS_NET = '/sys/class/net';

/**
 * Cumulative byte counters from Linux's /sys/class/net: of netInterface, or of every interface
 * but loopback. Undefined where there is no such directory (not Linux).
 */
export async function linuxNetBytes(netInterface?: string, root = SYS_NET): Promise<{ rx: number; tx: number } | undefined> {
  let names: string[];
  try {
    names = netInterface ? [netInterface] : (await readdir(root)).filter((name) => name !== 'lo');
  } catch {
    return undefined;
  }
  const counter = async (name: string, which: 'rx' | 'tx'): Promise<number> => {
    const value = Number((await readFile(`${root}/${name}/statistics/${which}_bytes`, 'utf8')).trim());
    return Number.isFinite(value) ? value : 0;
  };
  try {
    const counts = await Promise.all(names.map(async (name) => ({ rx: await counter(name, 'rx'), tx: await counter(name, 'tx') })));
    return counts.reduce((sum, count) => ({ rx: sum.rx + count.rx, tx: sum.tx + count.tx }), { rx: 0, tx: 0 });
  } catch {
    return undefined;
  }
}

/**
 * Reads memory with systeminformation, and network counters from /sys/class/net on Linux (with
 * systeminformation elsewhere); netInterface limits the network counters to one interface.
 * CPU use comes from os.cpus() deltas. Both avoid child processes: on Linux systeminformation's
 * currentLoad() and networkStats() start several every call, some synchronously (blocking the
 * agent's event loop), and the sampling every second cost an idle agent about 2 % of a core,
 * taken from the partitions on a busy machine.
 */
export function systemLoadReader(netInterface?: string): LoadReader {
  let previous = cpuTimes();
  return {
    async cpuLoad() {
      const now = cpuTimes();
      const total = now.total - previous.total;
      const load = total > 0 ? (now.busy - previous.busy) / total : 0;
      previous = now;
      return Math.min(1, Math.max(0, load));
    },
    async memoryAvailableBytes() {
      return (await si.mem()).available;
    },
    async netBytes() {
      const fromSys = await linuxNetBytes(netInterface);
      if (fromSys) return fromSys;
      const stats = await si.networkStats(netInterface ?? '*');
      let rx = 0;
      let tx = 0;
      for (const entry of stats) {
        rx += entry.rx_bytes || 0;
        tx += entry.tx_bytes || 0;
      }
      return { rx, tx };
    },
  };
}

export interface LoadMonitorOptions {
  busySlots: () => number;
  reader?: LoadReader;
  intervalMs?: number;
  logger?: Logger;
  /** A sample slower than this is logged (it is never overlapped by the next one). */
  slowSampleMs?: number;
}

function clamp01(value: number): number {
  if (!Number.isFinite(value)) return 0;
  return Math.min(1, Math.max(0, value));
}

/**
 * Samples the machine's load every interval without blocking the event loop: the readings are
 * asynchronous, the next sample is scheduled only after the previous one finished, so a slow
 * sample delays the next one instead of stacking up behind it.
 */
export class LoadMonitor {
  private readonly reader: LoadReader;
  private readonly intervalMs: number;
  private readonly slowSampleMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private sampling: Promise<void> | undefined;
  private last: Omit<LoadSample, 'busySlots'> = {
    cpuLoad: 0,
    memoryAvailableBytes: 0,
    netRxBytesPerS: 0,
    netTxBytesPerS: 0,
    sampledAt: 0,
  };
  private previousNet: { rx: number; tx: number; at: number } | undefined;
  private samples = 0;
  private failures = 0;

  constructor(private readonly options: LoadMonitorOptions) {
    this.reader = options.reader ?? systemLoadReader();
    this.intervalMs = options.intervalMs ?? 1000;
    this.slowSampleMs = options.slowSampleMs ?? 5_000;
  }

  /** Takes a first sample, then keeps sampling every interval until stop(). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    await this.sampleOnce();
    this.schedule(this.intervalMs);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** The last machine sample with the current busy slots. */
  current(): LoadSample {
    return { ...this.last, busySlots: this.options.busySlots() };
  }

  /** Number of completed samples (for tests and status). */
  get sampleCount(): number {
    return this.samples;
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const startedAt = performance.now();
      void this.sampleOnce().finally(() => {
        const elapsed = performance.now() - startedAt;
        this.schedule(Math.max(0, this.intervalMs - elapsed));
      });
    }, delayMs);
    this.timer.unref();
  }

  /** One sample; never rejects, never runs twice at once. */
  sampleOnce(): Promise<void> {
    if (this.sampling) return this.sampling;
    this.sampling = this.takeSample().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async takeSample(): Promise<void> {
    const startedAt = performance.now();
    const [cpu, memory, net] = await Promise.allSettled([
      this.reader.cpuLoad(),
      this.reader.memoryAvailableBytes(),
      this.reader.netBytes(),
    ]);
    const now = Date.now();
    const next = { ...this.last, sampledAt: now };
    const errors: string[] = [];
    if (cpu.status === 'fulfilled') next.cpuLoad = clamp01(cpu.value);
    else errors.push(`cpu: ${errorMessage(cpu.reason)}`);
    if (memory.status === 'fulfilled' && Number.isFinite(memory.value)) next.memoryAvailableBytes = Math.max(0, memory.value);
    else if (memory.status === 'rejected') errors.push(`memory: ${errorMessage(memory.reason)}`);
    if (net.status === 'fulfilled') {
      const previous = this.previousNet;
      const at = performance.now();
      if (previous && at > previous.at) {
        const seconds = (at - previous.at) / 1000;
        // Counters can go backwards (interface reset, wrap): report 0 for that interval.
        next.netRxBytesPerS = Math.max(0, (net.value.rx - previous.rx) / seconds);
        next.netTxBytesPerS = Math.max(0, (net.value.tx - previous.tx) / seconds);
      }
      this.previousNet = { rx: net.value.rx, tx: net.value.tx, at };
    } else {
      errors.push(`network: ${errorMessage(net.reason)}`);
    }
    this.last = next;
    this.samples++;
    if (errors.length > 0) {
      this.failures++;
      // Log the first failure and then every 60th, not every second.
      if (this.failures === 1 || this.failures % 60 === 0) {
        this.options.logger?.warn({ errors, failures: this.failures }, 'load monitor: some readings failed');
      }
    }
    const elapsed = performance.now() - startedAt;
    if (elapsed > this.slowSampleMs) this.options.logger?.warn({ elapsedMs: Math.round(elapsed) }, 'load monitor: slow sample');
  }
}
