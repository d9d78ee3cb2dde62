import type { Redis } from 'ioredis';
import { isDatasetTag } from '../../shared/quant/dataset-tag.js';

/** A tag as the store keeps it: the version it points at, who made it (its owner), when it last moved. */
export interface StoredTag {
  name: string;
  id: string;
  owner: string;
  updatedAtMs: number;
}

/**
 * Dataset tags in Redis: one hash `<prefix>:datasets:tags`, name → JSON StoredTag. A tag names one
 * version (shared/quant/dataset-tag.ts has the rule for names); `data append` on a tag and `data tag`
 * move it. The callers check the names, the versions and who may move or remove a tag.
 */
export class DatasetTags {
  private readonly key: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.key = `${prefix}:datasets:tags`;
  }

  async get(name: string): Promise<StoredTag | undefined> {
    if (!isDatasetTag(name)) return undefined;
    const json = await this.redis.hget(this.key, name);
    return json ? (JSON.parse(json) as StoredTag) : undefined;
  }

  /** Every tag, by name. */
  async list(): Promise<StoredTag[]> {
    const all = await this.redis.hvals(this.key);
    return all.map((json) => JSON.parse(json) as StoredTag).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Points `name` at version `id` (made, or moved: a moved tag keeps the owner who made it). */
  async set(name: string, id: string, user: string): Promise<StoredTag> {
    const tag: StoredTag = { name, id, owner: (await this.get(name))?.owner ?? user, updatedAtMs: Date.now() };
    await this.redis.hset(this.key, name, JSON.stringify(tag));
    return tag;
  }

  /** Removes a tag (never the version it points at); false when there was none. */
  async remove(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key, name)) === 1;
  }
}
