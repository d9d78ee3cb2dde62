import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from '../shared/errors.js';
import type { Logger } from '../shared/logging.js';

const FILE = /^([0-9a-f]{64})\.qgd$/;
const TEMPORARY = /\.tmp$/;
/** A temporary file this old is left over from a write that never finished (a crash). */
const STALE_TEMPORARY_MS = 60 * 60_000;
/** A file's modification time (its last use, for restarts) is refreshed at most this often. */
const TOUCH_INTERVAL_MS = 60_000;

export interface DiskCacheOptions {
  dir: string;
  /** Byte budget of the files; past it the least recently used are deleted. */
  maxBytes: number;
  /** True while dataset `id` is being loaded or used: its file is never evicted then. */
  isBusy: (id: string) => boolean;
  logger?: Logger;
}

export interface DiskCacheStats {
  /** Bytes of the cached files now. */
  bytes: number;
  files: number;
  /** Files deleted to stay within the budget. */
  evictions: number;
}

interface Entry {
  bytes: number;
  /** Last use, ms since the epoch; the file's modification time across restarts. */
  usedAt: number;
  /** When the file's modification time was last set. */
  touchedAt: number;
}

/**
 * A folder of encoded datasets named by id, kept within a byte budget by deleting the least
 * recently used (by last use: every hit counts; the file's modification time carries it across
 * restarts). Files of busy datasets are never deleted; a file larger than the whole budget is not
 * written. The folder's contents are listed once, on first use. Other processes sharing the folder
 * are tolerated (a file deleted under a reader is a miss), not coordinated.
 */
export class DiskCache {
  private index: Promise<Map<string, Entry>> | undefined;
  /** The index once listed (stats and touch() are synchronous). */
  private known: Map<string, Entry> | undefined;
  private bytes = 0;
  private evictions = 0;

  constructor(private readonly options: DiskCacheOptions) {}

  stats(): DiskCacheStats {
    return { bytes: this.bytes, files: this.known?.size ?? 0, evictions: this.evictions };
  }

  /** The file's bytes, or undefined when absent; counts as a use. */
  async read(id: string): Promise<Buffer | undefined> {
    const entries = await this.entries();
    let bytes: Buffer;
    try {
      bytes = await readFile(this.file(id));
    } catch {
      this.forget(entries, id);
      return undefined;
    }
    this.used(entries, id, bytes.byteLength);
    return bytes;
  }

  /** The ids of the files here, most recently used first. */
  async ids(): Promise<string[]> {
    const entries = await this.entries();
    return [...entries].sort((a, b) => b[1].usedAt - a[1].usedAt).map(([id]) => id);
  }

  /** Marks a dataset served from memory as used (its file, if any, moves to the back of the queue). */
  touch(id: string): void {
    const entry = this.known?.get(id);
    if (entry) this.used(this.known!, id, entry.bytes);
  }

  /** Stores the bytes (atomically: a temporary file renamed), then deletes files past the budget. */
  async write(id: string, bytes: Uint8Array): Promise<void> {
    const entries = await this.entries();
    if (bytes.byteLength > this.options.maxBytes) {
      this.options.logger?.debug({ dataset: id, bytes: bytes.byteLength, budget: this.options.maxBytes }, 'dataset larger than the disk cache budget: not written');
      return;
    }
    const file = this.file(id);
    const temporary = `${file}.${process.pid}.${Date.now()}.tmp`;
    try {
      await mkdir(this.options.dir, { recursive: true });
      await writeFile(temporary, bytes);
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      this.options.logger?.warn({ dataset: id, file, err: errorMessage(error) }, 'could not write the disk cache');
      return;
    }
    this.forget(entries, id);
    const now = Date.now();
    entries.set(id, { bytes: bytes.byteLength, usedAt: now, touchedAt: now });
    this.bytes += bytes.byteLength;
    await this.evict();
  }

  /** Deletes the file of a dataset found corrupt. */
  async remove(id: string): Promise<void> {
    this.forget(await this.entries(), id);
    await rm(this.file(id), { force: true }).catch(() => undefined);
  }

  /** Deletes least recently used files, never busy ones, until the files fit the budget. */
  async evict(): Promise<void> {
    const entries = await this.entries();
    const victims: Array<[string, Entry]> = [];
    while (this.bytes > this.options.maxBytes) {
      let oldest: [string, Entry] | undefined;
      for (const candidate of entries) {
        if (this.options.isBusy(candidate[0])) continue;
        if (!oldest || candidate[1].usedAt < oldest[1].usedAt) oldest = candidate;
      }
      if (!oldest) break; // everything left is busy: evicted once no longer used
      this.forget(entries, oldest[0]);
      victims.push(oldest);
      this.evictions++;
    }
    await Promise.all(
      victims.map(async ([id, entry]) => {
        await rm(this.file(id), { force: true }).catch(() => undefined);
        this.options.logger?.debug({ dataset: id, bytes: entry.bytes }, 'dataset evicted from the disk cache');
      }),
    );
  }

  private entries(): Promise<Map<string, Entry>> {
    this.index ??= this.scan().then((entries) => (this.known = entries));
    return this.index;
  }

  private async scan(): Promise<Map<string, Entry>> {
    const entries = new Map<string, Entry>();
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch {
      return entries; // created on first write
    }
    const now = Date.now();
    for (const name of names) {
      const file = path.join(this.options.dir, name);
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) continue;
      const id = FILE.exec(name)?.[1];
      if (id) {
        entries.set(id, { bytes: info.size, usedAt: info.mtimeMs, touchedAt: info.mtimeMs });
        this.bytes += info.size;
      } else if (TEMPORARY.test(name) && now - info.mtimeMs > STALE_TEMPORARY_MS) {
        await rm(file, { force: true }).catch(() => undefined);
      }
    }
    return entries;
  }

  private used(entries: Map<string, Entry>, id: string, bytes: number): void {
    const now = Date.now();
    const entry = entries.get(id);
    if (!entry) {
      // Written by another process sharing the folder.
      entries.set(id, { bytes, usedAt: now, touchedAt: now });
      this.bytes += bytes;
      return;
    }
    entry.usedAt = now;
    if (now - entry.touchedAt >= TOUCH_INTERVAL_MS) {
      entry.touchedAt = now;
      const time = new Date(now);
      utimes(this.file(id), time, time).catch(() => undefined);
    }
  }

  private forget(entries: Map<string, Entry>, id: string): void {
    const entry = entries.get(id);
    if (!entry) return;
    entries.delete(id);
    this.bytes -= entry.bytes;
  }

  private file(id: string): string {
    return path.join(this.options.dir, `${id}.qgd`);
  }
}
