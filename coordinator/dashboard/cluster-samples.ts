/**
 * What the dashboard shows of the whole cluster over time, kept in Redis so that every coordinator
 * sharing it shows the same: each node's load history (a sample every LOAD_SAMPLE_MS for the last
 * LOAD_HISTORY_MS) and the partitions finished per second by all coordinators. Each coordinator
 * writes its own view every few seconds; the keys are bounded and expire.
 *
 *   {prefix}:dashboard:load:{node}  hash  sample slot (time / LOAD_SAMPLE_MS) → {"cpuLoad":…,"busySlots":…}
 *   {prefix}:dashboard:finished     hash  coordinator instance → [[time, completed attempts], …] (the last minute)
 *   {prefix}:dashboard:nodes        hash  node id → {"seenAtMs":…, the node's machine facts}: nodes seen lately, so
 *                                   that a node gone from Consul still shows (as gone) for LOAD_HISTORY_MS
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LOAD_HISTORY_MS, LOAD_SAMPLE_MS, type LoadSample } from '../../shared/dashboard/api-types.js';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';
import type { NodeTable } from '../nodes/node-table.js';

/** How often this coordinator records its count of finished partitions. */
export const RATE_SAMPLE_MS = 5_000;
/** The window partitions/s is measured over. */
export const RATE_WINDOW_MS = 60_000;

const LOAD_SLOTS = Math.ceil(LOAD_HISTORY_MS / LOAD_SAMPLE_MS);

/** What is kept of a node seen lately (its machine, not its state). */
export interface SeenNode {
  id: string;
  address: string;
  version: string;
  slots: number;
  cores: number;
  cpuSpeedGhz: number;
  memoryTotalBytes: number;
  capabilities: string[];
  specialties: string[];
  seenAtMs: number;
}

export interface ClusterSamplesOptions {
  redis: Redis;
  prefix: string;
  table: Pick<NodeTable, 'all' | 'stateOf'>;
  /** This coordinator's count of completed partition attempts since it started. */
  completed: () => number;
  log: Logger;
  loadSampleMs?: number;
  rateSampleMs?: number;
  now?: () => number;
}

/** Partitions per second from each coordinator's samples (pure): over each one's samples within the window, summed. */
export function partitionsPerSecond(samplesByCoordinator: ReadonlyArray<ReadonlyArray<readonly [number, number]>>, nowMs: number, windowMs = RATE_WINDOW_MS): number {
  let rate = 0;
  for (const samples of samplesByCoordinator) {
    const recent = samples.filter(([at]) => at >= nowMs - windowMs - RATE_SAMPLE_MS && at <= nowMs);
    if (recent.length < 2) continue;
    const [firstAt, firstCount] = recent[0];
    const [lastAt, lastCount] = recent[recent.length - 1];
    if (lastAt > firstAt && lastCount >= firstCount) rate += ((lastCount - firstCount) * 1000) / (lastAt - firstAt);
  }
  return rate;
}

export class ClusterSamples {
  private readonly instance = randomBytes(6).toString('hex');
  private readonly rates: Array<[number, number]> = [];
  private timers: NodeJS.Timeout[] = [];
  private readonly now: () => number;
  private readonly loadSampleMs: number;

  constructor(private readonly options: ClusterSamplesOptions) {
    this.now = options.now ?? Date.now;
    this.loadSampleMs = options.loadSampleMs ?? LOAD_SAMPLE_MS;
  }

  private loadKey(nodeId: string): string {
    return `${this.options.prefix}:dashboard:load:${nodeId}`;
  }

  private get nodesKey(): string {
    return `${this.options.prefix}:dashboard:nodes`;
  }

  private get finishedKey(): string {
    return `${this.options.prefix}:dashboard:finished`;
  }

  start(): void {
    const every = (ms: number, task: () => Promise<void>, what: string): void => {
      const run = (): void => void task().catch((error) => this.options.log.debug({ err: errorMessage(error) }, `${what} not recorded`));
      run();
      const timer = setInterval(run, ms);
      timer.unref();
      this.timers.push(timer);
    };
    every(this.loadSampleMs, () => this.recordLoad(), 'node load sample');
    every(this.options.rateSampleMs ?? RATE_SAMPLE_MS, () => this.recordRate(), 'partition rate sample');
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
  }

  /** One load sample of every node this coordinator knows, in the slot of now (any coordinator's write of a slot will do). */
  async recordLoad(): Promise<void> {
    const slot = Math.floor(this.now() / this.loadSampleMs);
    const write = this.options.redis.pipeline();
    for (const node of this.options.table.all()) {
      const key = this.loadKey(node.id);
      write.hset(key, String(slot), JSON.stringify({ cpuLoad: node.cpuLoad, busySlots: node.busySlots }));
      // The slots that just left the hour; older ones (a coordinator down a while) go with the key's expiry.
      write.hdel(key, ...Array.from({ length: 4 }, (_, i) => String(slot - LOAD_SLOTS - i)));
      write.pexpire(key, LOAD_HISTORY_MS + this.loadSampleMs);
    }
    await write.exec();
  }

  async recordRate(): Promise<void> {
    const now = this.now();
    this.rates.push([now, this.options.completed()]);
    while (this.rates.length > 0 && this.rates[0][0] < now - RATE_WINDOW_MS - 2 * RATE_SAMPLE_MS) this.rates.shift();
    const write = this.options.redis.multi().hset(this.finishedKey, this.instance, JSON.stringify(this.rates)).pexpire(this.finishedKey, 2 * RATE_WINDOW_MS);
    const seen = this.options.table.all().filter((node) => this.options.table.stateOf(node, now) !== 'gone');
    if (seen.length > 0) {
      const fields = seen.flatMap((node) => {
        const { id, address, version, slots, cores, cpuSpeedGhz, memoryTotalBytes } = node;
        const record: SeenNode = { id, address, version, slots, cores, cpuSpeedGhz, memoryTotalBytes, capabilities: [...node.capabilities], specialties: [...node.specialties], seenAtMs: now };
        return [id, JSON.stringify(record)];
      });
      write.hset(this.nodesKey, ...fields).pexpire(this.nodesKey, LOAD_HISTORY_MS);
    }
    await write.exec();
  }

  /** Nodes seen within LOAD_HISTORY_MS by any coordinator (the stale ones are dropped from Redis). */
  async seenNodes(): Promise<SeenNode[]> {
    const fields = await this.options.redis.hgetall(this.nodesKey);
    const since = this.now() - LOAD_HISTORY_MS;
    const nodes: SeenNode[] = [];
    const stale: string[] = [];
    for (const [id, text] of Object.entries(fields)) {
      try {
        const node = JSON.parse(text) as SeenNode;
        if (node.seenAtMs >= since) nodes.push(node);
        else stale.push(id);
      } catch {
        stale.push(id);
      }
    }
    if (stale.length > 0) await this.options.redis.hdel(this.nodesKey, ...stale);
    return nodes;
  }

  /** Each node's samples of the last hour, oldest first. */
  async loadHistory(nodeIds: readonly string[]): Promise<Map<string, LoadSample[]>> {
    const read = this.options.redis.pipeline();
    for (const id of nodeIds) read.hgetall(this.loadKey(id));
    const replies = (await read.exec()) ?? [];
    const since = this.now() - LOAD_HISTORY_MS;
    const history = new Map<string, LoadSample[]>();
    nodeIds.forEach((id, i) => {
      const fields = (replies[i]?.[1] ?? {}) as Record<string, string>;
      const samples: LoadSample[] = [];
      for (const [slot, value] of Object.entries(fields)) {
        const atMs = Number(slot) * this.loadSampleMs;
        if (!(atMs >= since)) continue;
        try {
          const sample = JSON.parse(value) as { cpuLoad: number; busySlots: number };
          samples.push({ atMs, cpuLoad: Number(sample.cpuLoad) || 0, busySlots: Number(sample.busySlots) || 0 });
        } catch {
          // A sample that is not JSON is skipped.
        }
      }
      history.set(id, samples.sort((a, b) => a.atMs - b.atMs));
    });
    return history;
  }

  /** Partitions finished per second over the last minute, by every coordinator that recorded lately. */
  async partitionsPerSecond(): Promise<number> {
    const fields = await this.options.redis.hgetall(this.finishedKey);
    const now = this.now();
    const all: Array<Array<[number, number]>> = [];
    const stale: string[] = [];
    for (const [instance, text] of Object.entries(fields)) {
      try {
        const samples = JSON.parse(text) as Array<[number, number]>;
        if (samples.length === 0 || samples[samples.length - 1][0] < now - 2 * RATE_WINDOW_MS) stale.push(instance);
        else all.push(samples);
      } catch {
        stale.push(instance);
      }
    }
    if (stale.length > 0) await this.options.redis.hdel(this.finishedKey, ...stale);
    return partitionsPerSecond(all, now);
  }
}
