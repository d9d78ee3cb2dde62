import { errorMessage } from '../shared/errors.js';
import { datasetId, decodeDataset, DATASET_ID_PATTERN, type DecodedDataset } from '../shared/quant/dataset-codec.js';
import type { Logger } from '../shared/logging.js';
import { DiskCache } from './dataset-disk-cache.js';

/** Fetches the encoded bytes of dataset `id` from the coordinator at `source` (host:port). */
export type DatasetFetcher = (id: string, source: string) => Promise<Uint8Array>;

/** Default byte budget of the disk cache: 10 GiB. */
export const DEFAULT_DISK_CACHE_BYTES = 10 * 1024 ** 3;

export interface DatasetCacheOptions {
  /** Budget of the memory cache (decoded columns), in bytes. */
  memoryBytes: number;
  /** Folder of the disk cache (encoded files named by id); undefined = no disk cache. */
  dir?: string;
  /** Budget of the disk cache, in bytes (default DEFAULT_DISK_CACHE_BYTES). */
  diskBytes?: number;
  fetch: DatasetFetcher;
  logger?: Logger;
}

export interface DatasetCacheStats {
  /** Requests served without the network: from memory, or from the disk cache. */
  hits: number;
  /** Of the hits, those read from the disk cache. */
  diskHits: number;
  /** Requests that fetched the dataset from the coordinator (concurrent requests for one id share one fetch and count once). */
  misses: number;
  /** Encoded bytes received from the coordinator. */
  bytesFetched: number;
  /** Decoded bytes held in memory now. */
  memoryBytes: number;
  entries: number;
  /** Encoded bytes in the disk cache now (as far as this agent knows: it lists the folder on first use). */
  diskBytes: number;
  diskEntries: number;
  /** Files deleted from the disk cache to keep within its budget. */
  diskEvictions: number;
}

/** Bytes that did not hash to the id they were fetched under. */
export class DatasetIntegrityError extends Error {
  constructor(id: string, actual: string) {
    super(`dataset ${id}: content hashes to ${actual}; refusing corrupt data`);
    this.name = 'DatasetIntegrityError';
  }
}

/**
 * The agent's stored-dataset cache: decoded datasets in memory (least recently used evicted once
 * their bytes pass the budget; columns in SharedArrayBuffers so worker threads read them without a
 * copy), backed by a disk folder of encoded files with its own byte budget (DiskCache), backed by
 * the coordinator. Everything that arrives (from the network or the disk) is checked against its
 * SHA-256 id before use. Concurrent requests for the same id share one load. A dataset being loaded,
 * or pinned by a running partition, keeps its disk file.
 */
export class DatasetCache {
  private readonly memory = new Map<string, DecodedDataset>();
  private readonly loading = new Map<string, Promise<DecodedDataset>>();
  private readonly pins = new Map<string, number>();
  private readonly disk: DiskCache | undefined;
  private memoryBytes = 0;
  private readonly counters = { hits: 0, diskHits: 0, misses: 0, bytesFetched: 0 };

  constructor(private readonly options: DatasetCacheOptions) {
    this.disk = options.dir
      ? new DiskCache({
          dir: options.dir,
          maxBytes: options.diskBytes ?? DEFAULT_DISK_CACHE_BYTES,
          isBusy: (id) => this.loading.has(id) || this.pins.has(id),
          logger: options.logger,
        })
      : undefined;
  }

  stats(): DatasetCacheStats {
    const disk = this.disk?.stats() ?? { bytes: 0, files: 0, evictions: 0 };
    return { ...this.counters, memoryBytes: this.memoryBytes, entries: this.memory.size, diskBytes: disk.bytes, diskEntries: disk.files, diskEvictions: disk.evictions };
  }

  /**
   * Marks dataset `id` as in use (by a running partition) until the returned function is called:
   * its disk file is not evicted meanwhile. Pins nest.
   */
  pin(id: string): () => void {
    this.pins.set(id, (this.pins.get(id) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.pins.get(id) ?? 1) - 1;
      if (left > 0) return void this.pins.set(id, left);
      this.pins.delete(id);
      // The budget may have been passed while this file could not go.
      this.disk?.evict().catch((error) => this.options.logger?.warn({ err: errorMessage(error) }, 'disk cache eviction failed'));
    };
  }

  /** The dataset `id`, from memory, the disk cache, or the coordinator at `source`. */
  get(id: string, source: string): Promise<DecodedDataset> {
    if (!DATASET_ID_PATTERN.test(id)) return Promise.reject(new Error(`"${id}" is not a dataset id (64 lower-case hex digits)`));
    const cached = this.memory.get(id);
    if (cached) {
      this.counters.hits++;
      // Most recently used goes last.
      this.memory.delete(id);
      this.memory.set(id, cached);
      this.disk?.touch(id);
      return Promise.resolve(cached);
    }
    const pending = this.loading.get(id);
    if (pending) {
      this.counters.hits++;
      return pending;
    }
    const load = this.load(id, source).finally(() => this.loading.delete(id));
    this.loading.set(id, load);
    return load;
  }

  private async load(id: string, source: string): Promise<DecodedDataset> {
    const fromDisk = await this.readDisk(id);
    if (fromDisk) {
      this.counters.hits++;
      this.counters.diskHits++;
      return this.remember(id, fromDisk);
    }
    this.counters.misses++;
    if (!source) throw new Error(`dataset ${id} is not cached here and no dataset_source was given to fetch it from`);
    const bytes = await this.options.fetch(id, source);
    this.counters.bytesFetched += bytes.byteLength;
    const actual = datasetId(bytes);
    if (actual !== id) throw new DatasetIntegrityError(id, actual);
    const decoded = decodeDataset(bytes, { shared: true });
    await this.disk?.write(id, bytes);
    return this.remember(id, decoded);
  }

  private remember(id: string, dataset: DecodedDataset): DecodedDataset {
    const size = dataset.buffer.byteLength;
    if (size > this.options.memoryBytes) return dataset; // larger than the whole budget: used, not kept
    this.memory.set(id, dataset);
    this.memoryBytes += size;
    for (const [oldId, old] of this.memory) {
      if (this.memoryBytes <= this.options.memoryBytes) break;
      if (oldId === id) continue;
      this.memory.delete(oldId);
      this.memoryBytes -= old.buffer.byteLength;
      this.options.logger?.debug({ dataset: oldId, bytes: old.buffer.byteLength }, 'dataset evicted from the memory cache');
    }
    return dataset;
  }

  /** The dataset from the disk cache when present and intact; a corrupt file is removed. */
  private async readDisk(id: string): Promise<DecodedDataset | undefined> {
    if (!this.disk) return undefined;
    const bytes = await this.disk.read(id);
    if (!bytes) return undefined;
    try {
      const actual = datasetId(bytes);
      if (actual !== id) throw new DatasetIntegrityError(id, actual);
      return decodeDataset(bytes, { shared: true });
    } catch (error) {
      this.options.logger?.warn({ dataset: id, dir: this.options.dir, err: errorMessage(error) }, 'corrupt dataset in the disk cache; fetching it again');
      await this.disk.remove(id);
      return undefined;
    }
  }
}
