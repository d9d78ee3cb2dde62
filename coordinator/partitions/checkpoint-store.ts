import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { UnitRange } from '../../shared/quant/ranges.js';
import { MAX_UNIT_CHECKPOINT_BYTES, type UnitCheckpoint } from '../../shared/tasks/continuation.js';

/**
 * The units' checkpoints of incremental re-runs (shared/tasks/continuation.ts), in Redis beside the
 * partition result cache and expiring with it (--partition-cache-ttl):
 *
 *   {prefix}:checkpoints:{run key}:{dataset id}   hash: unit index → the unit's checkpoint (bytes)
 *   {prefix}:carried:{run key}:{dataset id}       what a completed job's kind carries over to the
 *                                                 next run (JSON; backtest walk-forward: its windows)
 *
 * The run key is the digest of the kind, its version and the kind's lineage key (the spec without
 * its dataset), so the key of a hash is the index the brief asks for: (spec but the dataset, dataset)
 * → where the units' checkpoints are. Every job on a stored dataset writes its units' checkpoints
 * there as its partitions finish; a later identical job on a dataset that extends it reads them by
 * unit, whatever partitions either was cut into. A unit is computed deterministically, so two jobs
 * writing the same field write the same bytes.
 */
export class CheckpointStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly ttlSeconds: number,
  ) {}

  private key(runKey: string, datasetId: string): string {
    return `${this.prefix}:checkpoints:${runKey}:${datasetId}`;
  }

  private carriedKey(runKey: string, datasetId: string): string {
    return `${this.prefix}:carried:${runKey}:${datasetId}`;
  }

  /** Of the datasets given (nearest first), the first for which a job with this run key left checkpoints or carried work; undefined if none. */
  async nearest(runKey: string, datasetIds: readonly string[]): Promise<string | undefined> {
    if (datasetIds.length === 0) return undefined;
    const pipeline = this.redis.pipeline();
    for (const id of datasetIds) pipeline.exists(this.key(runKey, id), this.carriedKey(runKey, id));
    const results = (await pipeline.exec()) ?? [];
    const index = results.findIndex(([error, exists]) => !error && typeof exists === 'number' && exists > 0);
    return index < 0 ? undefined : datasetIds[index];
  }

  /** The checkpoints stored for the units of `range` (units without one are left out), in unit order. */
  async load(runKey: string, datasetId: string, range: UnitRange): Promise<UnitCheckpoint[]> {
    if (range.count <= 0) return [];
    const fields = Array.from({ length: range.count }, (_, i) => String(range.first + i));
    const values = await this.redis.hmgetBuffer(this.key(runKey, datasetId), ...fields);
    const checkpoints: UnitCheckpoint[] = [];
    values.forEach((data, i) => {
      // A value that cannot be a checkpoint is not one: its unit runs from its first bar.
      if (data && data.byteLength > 0 && data.byteLength <= MAX_UNIT_CHECKPOINT_BYTES) checkpoints.push({ unit: range.first + i, data: new Uint8Array(data) });
    });
    return checkpoints;
  }

  /** Stores units' checkpoints (and renews the hash's lifetime). */
  async save(runKey: string, datasetId: string, checkpoints: readonly UnitCheckpoint[]): Promise<void> {
    if (checkpoints.length === 0) return;
    const key = this.key(runKey, datasetId);
    const fields = new Map<string, Buffer>(checkpoints.map((checkpoint) => [String(checkpoint.unit), Buffer.from(checkpoint.data.buffer, checkpoint.data.byteOffset, checkpoint.data.byteLength)]));
    await this.redis.multi().hset(key, fields).expire(key, this.ttlSeconds).exec();
  }

  /** Stores what a completed job carries over to the next run (JSON), for as long as checkpoints live. */
  async carry(runKey: string, datasetId: string, kept: unknown): Promise<void> {
    await this.redis.set(this.carriedKey(runKey, datasetId), JSON.stringify(kept), 'EX', this.ttlSeconds);
  }

  /** What a job with this run key on `datasetId` carried over, or undefined. */
  async carried(runKey: string, datasetId: string): Promise<unknown> {
    const json = await this.redis.get(this.carriedKey(runKey, datasetId));
    return json === null ? undefined : (JSON.parse(json) as unknown);
  }
}

/** The run key of checkpoints: the kind, its version (bumped when run() answers differently) and its lineage key of the spec. */
export function checkpointRunKey(kind: string, version: string, lineageKey: string): string {
  return createHash('sha256').update(JSON.stringify([kind, version, lineageKey])).digest('hex');
}
