import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { GroupCommit } from '../redis/group-commit.js';

/**
 * The durable record of a job's partitions in Redis, so a job outlives the coordinator running it:
 *
 *   {prefix}:job:{id}:plan       the partitions as planned (JSON array), written once (SET NX)
 *   {prefix}:job:{id}:partials   hash: partition index → partial result (JSON)
 *
 * The coordinator that takes a job over (BullMQ hands a job whose lock lapsed to another worker)
 * reads both and dispatches only the partitions without a result, under the same plan: the plan
 * depends on the cluster at planning time, so it is never recomputed. A partition has one field, so
 * a partition computed twice (by two coordinators that both believed they owned the job) still
 * enters the result once, with the same value.
 *
 * Also the partition result cache for incremental re-runs:
 *
 *   {prefix}:partition-cache:{sha256}   a partial result, under the hash of everything that determines it
 */
export class PartitionLedger {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** Lifetime of a job's records (they are deleted when the job ends; this bounds what a crash leaves). */
    private readonly recordTtlSeconds: number,
    private readonly cacheTtlSeconds: number,
  ) {}

  private planKey(jobId: string): string {
    return `${this.prefix}:job:${jobId}:plan`;
  }

  private partialsKey(jobId: string): string {
    return `${this.prefix}:job:${jobId}:partials`;
  }

  private cacheKey(hash: string): string {
    return `${this.prefix}:partition-cache:${hash}`;
  }

  /**
   * The job's plan: the stored one when the job was planned before, else `create()`'s, stored. One
   * round trip: the claim (SET NX) and a read of whatever plan then stands go in one pipeline, run in
   * that order, so a plan stored first (by this job's earlier run, or another coordinator) is the one
   * read back and used. `create()` is also called for a job planned before (a takeover): cheap, and
   * its plan is dropped.
   */
  async plan<P>(jobId: string, create: () => P[]): Promise<{ partitions: P[]; resumed: boolean }> {
    const key = this.planKey(jobId);
    const partitions = create();
    const replies = await this.redis.pipeline().set(key, JSON.stringify(partitions), 'EX', this.recordTtlSeconds, 'NX').get(key).exec();
    const [[claimError, claimed] = [new Error('no reply')], [readError, stored] = [new Error('no reply')]] = replies ?? [];
    if (claimError) throw claimError;
    if (claimed === 'OK') return { partitions, resumed: false };
    if (readError) throw readError;
    // Planned before (a plan that expired between the two commands cannot be: it outlives its job's lock).
    if (typeof stored !== 'string') throw new Error(`job ${jobId}: its stored plan vanished while it was read`);
    return { partitions: JSON.parse(stored) as P[], resumed: true };
  }

  /** The partial results recorded so far, by partition index. */
  async recorded(jobId: string): Promise<Map<number, string>> {
    const all = await this.redis.hgetall(this.partialsKey(jobId));
    return new Map(Object.entries(all).map(([index, json]) => [Number(index), json]));
  }

  /**
   * Records a partition's result; resolves once Redis has it. Written by group commit
   * (group-commit.ts): a busy job finishing thousands of partitions a second costs a round trip
   * per batch, and a quiet one adds no delay. A partition computed twice gives the same result
   * (task kinds are deterministic), so a second write changes nothing.
   */
  record(jobId: string, index: number, resultJson: string): Promise<void> {
    let batch = this.pendingRecords.get(jobId);
    if (!batch) this.pendingRecords.set(jobId, (batch = new Map()));
    batch.set(String(index), resultJson);
    return this.commit.request();
  }

  private pendingRecords = new Map<string, Map<string, string>>();
  private readonly commit = new GroupCommit(() => this.flushRecords());

  private async flushRecords(): Promise<void> {
    const all = this.pendingRecords;
    this.pendingRecords = new Map();
    if (all.size === 0) return;
    const write = this.redis.pipeline();
    for (const [jobId, fields] of all) {
      const key = this.partialsKey(jobId);
      write.hset(key, fields).expire(key, this.recordTtlSeconds);
    }
    const results = await write.exec();
    const failed = results?.find(([error]) => error);
    if (failed) throw failed[0];
  }

  async forget(jobId: string): Promise<void> {
    this.pendingRecords.delete(jobId);
    await this.redis.del(this.planKey(jobId), this.partialsKey(jobId));
  }

  /** Cached partial results for the given cache hashes (null where none). */
  async cached(hashes: readonly string[]): Promise<Array<string | null>> {
    if (hashes.length === 0) return [];
    return this.redis.mget(hashes.map((hash) => this.cacheKey(hash)));
  }

  async cache(hash: string, resultJson: string): Promise<void> {
    await this.redis.set(this.cacheKey(hash), resultJson, 'EX', this.cacheTtlSeconds);
  }
}

/**
 * What determines a partition's result: the task kind and its version (bumped whenever run or merge
 * would answer differently), the validated spec (which names the data by content: a stored
 * dataset's SHA-256, or the synthetic generator's seed and size) and the partition.
 */
export function partitionCacheHash(kind: string, version: string, specJson: string, partitionJson: string): string {
  return createHash('sha256').update(JSON.stringify([kind, version, specJson, partitionJson])).digest('hex');
}
