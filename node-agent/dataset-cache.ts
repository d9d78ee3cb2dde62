import { errorMessage } from '../shared/errors.js';
import { columnBytes, DATASET_COLUMNS, datasetId, decodeDataset, DATASET_ID_PATTERN, encodeDatasetHeader, type DecodedDataset } from '../shared/quant/dataset-codec.js';
import type { Logger } from '../shared/logging.js';
import { DiskCache } from './dataset-disk-cache.js';

/** Fetches the encoded bytes of dataset `id` from the coordinator at `source` (host:port). */
export type DatasetFetcher = (id: string, source: string) => Promise<Uint8Array>;

/** A fetch that may come as the bars after a version the fetcher holds (`base`), not the encoded dataset. */
export interface FetchedDataset {
  bytes: Uint8Array;
  /** Set when `bytes` are each column's values after the base's `bars` bars, one column after the other. */
  base?: { id: string; bars: number };
}

/** Fetches dataset `id`, telling the coordinator which versions are held here (`have`). */
export type DatasetDeltaFetcher = (id: string, source: string, have: readonly string[]) => Promise<FetchedDataset>;

/** Most held versions a fetch names. */
const MAX_HAVE = 256;

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
  /** When given, a fetch names the versions held here, and a version extending one comes as its new bars only. */
  fetchSince?: DatasetDeltaFetcher;
  logger?: Logger;
}

export interface DatasetCacheStats {
  /** Requests served without the network: from memory, or from the disk cache. */
  hits: number;
  /** Of the hits, those read from the disk cache. */
  diskHits: number;
  /** Requests that fetched the dataset from the coordinator (concurrent requests for one id share one fetch and count once). */
  misses: number;
  /** Encoded bytes received from the coordinator (for a version fetched as the bars after one held here: those bars). */
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
    const bytes = await this.fetch(id, source);
    const actual = datasetId(bytes);
    if (actual !== id) throw new DatasetIntegrityError(id, actual);
    const decoded = decodeDataset(bytes, { shared: true });
    await this.disk?.write(id, bytes);
    return this.remember(id, decoded);
  }

  /** The encoded bytes of `id` from the coordinator: only its new bars when it extends a version held here. */
  private async fetch(id: string, source: string): Promise<Uint8Array> {
    const have = this.options.fetchSince ? await this.held(id) : [];
    if (have.length > 0) {
      const fetched = await this.options.fetchSince!(id, source, have);
      this.counters.bytesFetched += fetched.bytes.byteLength;
      if (!fetched.base) return fetched.bytes;
      const whole = await this.extend(fetched.base, fetched.bytes);
      if (whole) {
        this.options.logger?.debug({ dataset: id, base: fetched.base.id, bytes: fetched.bytes.byteLength }, 'dataset fetched as the bars after a version held here');
        return whole;
      }
      this.options.logger?.info({ dataset: id, base: fetched.base.id }, 'the version to extend is gone from the cache; fetching the dataset whole');
    }
    const bytes = await this.options.fetch(id, source);
    this.counters.bytesFetched += bytes.byteLength;
    return bytes;
  }

  /** Versions held here (memory, then disk), most recently used first, at most MAX_HAVE. */
  private async held(except: string): Promise<string[]> {
    const ids = new Set([...this.memory.keys()].reverse());
    for (const id of (await this.disk?.ids()) ?? []) ids.add(id);
    ids.delete(except);
    return [...ids].slice(0, MAX_HAVE);
  }

  /**
   * The encoded dataset made of a held version's bars followed by `delta` (each column's new values
   * in turn), or undefined when that version is no longer held here or does not fit.
   */
  private async extend(base: { id: string; bars: number }, delta: Uint8Array): Promise<Uint8Array | undefined> {
    const held = this.memory.get(base.id) ?? (await this.readDisk(base.id));
    const columns = DATASET_COLUMNS.length;
    if (!held || held.bars !== base.bars || delta.byteLength % (columns * 8) !== 0) return undefined;
    const added = delta.byteLength / (columns * 8);
    const header = encodeDatasetHeader(held.symbol, held.timeframe, held.bars + added);
    const bytes = new Uint8Array(header.byteLength + columns * (held.bars + added) * 8);
    bytes.set(header, 0);
    const old = new Uint8Array(held.buffer);
    let at = header.byteLength;
    for (let c = 0; c < columns; c++) {
      bytes.set(columnBytes(new Float64Array(old.buffer, c * held.bars * 8, held.bars)), at);
      at += held.bars * 8;
      bytes.set(delta.subarray(c * added * 8, (c + 1) * added * 8), at);
      at += added * 8;
    }
    return bytes;
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
