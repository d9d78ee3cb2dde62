import type { Redis } from 'ioredis';
import { NotFound, ValidationError } from '../../shared/errors.js';
import type { StrategyManifest } from '../../shared/strategy-sdk/manifest.js';
import { STRATEGIES } from '../../shared/quant/strategies/index.js';
import { formatStrategyRef, parseStrategyRef, STRATEGY_NAME_PATTERN, strategyId, type StrategyRef } from '../../shared/sandbox/strategy-ref.js';

/** One version of a strategy under a name. */
export interface StoredStrategyInfo {
  id: string;
  name: string;
  description: string;
  owner: string;
  pushedAtMs: number;
  bytes: number;
  manifest: StrategyManifest;
}


/**
 * Users' strategies in Redis, under the queue prefix: each bundle once by content, with its manifest,
 * in the hash `<prefix>:strategies:code:<id>` (code, manifest), the versions of a name in the hash `<prefix>:strategies:versions:<name>`
 * (id → JSON info) and the latest version of every name in `<prefix>:strategies:latest` (name → id).
 *
 * Removing a version takes it out of listings and resolution; its bundle stays while a kept job names
 * it, so those jobs (and their cached partitions) still run and re-run; then StrategyRetention deletes it.
 * A bundle's hash also holds `storedAtUs`, Redis's clock when a push last wrote it, so that a sweep
 * never deletes a bundle pushed again after it looked (deleteUnreferenced).
 */
export class StrategyStore {
  private readonly latestKey: string;
  private readonly codePrefix: string;
  private readonly versionsPrefix: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.latestKey = `${prefix}:strategies:latest`;
    this.codePrefix = `${prefix}:strategies:code:`;
    this.versionsPrefix = `${prefix}:strategies:versions:`;
  }

  /** A name a strategy may be pushed under (field: the request's). */
  static checkName(name: string, field: string): string {
    if (!STRATEGY_NAME_PATTERN.test(name)) throw new ValidationError(field, 'lower-case letters, digits and -, starting with a letter (at most 64)');
    if (STRATEGIES.has(name)) throw new ValidationError(field, `${name} is a built-in strategy; push under another name`);
    return name;
  }

  /** Stores a checked bundle under `name` and makes it the latest version. */
  async push(code: string, name: string, manifest: StrategyManifest, owner: string): Promise<StoredStrategyInfo & { alreadyPresent: boolean; latest: boolean }> {
    const id = strategyId(code);
    const versionsKey = this.versionsPrefix + name;
    const existing = await this.redis.hget(versionsKey, id);
    if (existing) {
      await this.redis.hset(this.latestKey, name, id);
      return { ...(JSON.parse(existing) as StoredStrategyInfo), alreadyPresent: true, latest: true };
    }
    const info: StoredStrategyInfo = { id, name, description: manifest.description, owner, pushedAtMs: Date.now(), bytes: Buffer.byteLength(code, 'utf8'), manifest };
    await this.redis.multi().eval(STORE_BUNDLE, 1, this.codePrefix + id, code, JSON.stringify(manifest)).hset(versionsKey, id, JSON.stringify(info)).hset(this.latestKey, name, id).exec();
    return { ...info, alreadyPresent: false, latest: true };
  }

  /** The latest version of every name, or every version of one name; newest first. */
  async list(name?: string): Promise<Array<StoredStrategyInfo & { latest: boolean }>> {
    const latest = await this.redis.hgetall(this.latestKey);
    let infos: StoredStrategyInfo[];
    if (name) {
      infos = Object.values(await this.redis.hgetall(this.versionsPrefix + name)).map((json) => JSON.parse(json) as StoredStrategyInfo);
    } else {
      const pipeline = this.redis.pipeline();
      for (const [n, id] of Object.entries(latest)) pipeline.hget(this.versionsPrefix + n, id);
      const answers = (await pipeline.exec()) ?? [];
      infos = answers.map(([, json]) => json).filter((json): json is string => typeof json === 'string').map((json) => JSON.parse(json) as StoredStrategyInfo);
    }
    return infos.map((info) => ({ ...info, latest: latest[info.name] === info.id })).sort((a, b) => b.pushedAtMs - a.pushedAtMs);
  }

  /** The version a reference means (NAME: the latest; NAME@ID or a unique id prefix). NotFound otherwise. */
  async resolve(ref: StrategyRef | string, field = 'ref'): Promise<StoredStrategyInfo & { latest: boolean }> {
    const { name, id } = typeof ref === 'string' ? parseStrategyRef(ref, field) : ref;
    const latest = await this.redis.hget(this.latestKey, name);
    const wanted = id ?? latest;
    if (!wanted) throw new NotFound('strategy', name);
    if (wanted.length === 64) {
      const json = await this.redis.hget(this.versionsPrefix + name, wanted);
      if (!json) throw new NotFound('strategy', formatStrategyRef(name, wanted));
      return { ...(JSON.parse(json) as StoredStrategyInfo), latest: latest === wanted };
    }
    const matches = (await this.redis.hkeys(this.versionsPrefix + name)).filter((candidate) => candidate.startsWith(wanted));
    if (matches.length === 0) throw new NotFound('strategy', formatStrategyRef(name, wanted));
    if (matches.length > 1) throw new ValidationError(field, `${formatStrategyRef(name, wanted)} matches ${matches.length} versions; give more of the id`);
    return this.resolve({ name, id: matches[0] }, field);
  }

  /** A bundle and its manifest by id (undefined when unknown). */
  async code(id: string): Promise<{ code: string; manifest: StrategyManifest } | undefined> {
    const [code, manifest] = await this.redis.hmget(this.codePrefix + id, 'code', 'manifest');
    if (code === null || manifest === null) return undefined;
    return { code, manifest: JSON.parse(manifest) as StrategyManifest };
  }

  /** Removes versions of one name from listings and resolution (see the class comment); the latest moves to the newest left. */
  async remove(name: string, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const latest = await this.redis.hget(this.latestKey, name);
    await this.redis.hdel(this.versionsPrefix + name, ...ids);
    if (latest === null || !ids.includes(latest)) return;
    const left = await this.list(name);
    if (left.length === 0) await this.redis.hdel(this.latestKey, name);
    else await this.redis.hset(this.latestKey, name, left[0].id);
  }

  /** The ids of every stored bundle. */
  async bundleIds(): Promise<string[]> {
    return (await this.scanKeys(this.codePrefix)).map((key) => key.slice(this.codePrefix.length));
  }

  /** The ids any name still lists as a version. */
  async listedIds(): Promise<Set<string>> {
    const keys = await this.scanKeys(this.versionsPrefix);
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hkeys(key);
    const ids = new Set<string>();
    for (const [, answer] of (await pipeline.exec()) ?? []) for (const id of (answer as string[] | null) ?? []) ids.add(id);
    return ids;
  }

  /** Redis's clock in µs: what a sweep reads before it looks at what refers to bundles. */
  async redisTimeUs(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1e6 + Number(micros);
  }

  /**
   * Deletes bundle `id` unless a push wrote it at or after `lookedAtUs` (Redis's clock, read before the
   * caller looked at what refers to it): atomic in Redis, so a push racing a sweep keeps its bundle. A
   * push before then had its version listed when the caller looked. Returns the bytes freed (0: kept or gone).
   */
  async deleteUnreferenced(id: string, lookedAtUs: number): Promise<number> {
    return Number(await this.redis.eval(DELETE_IF_NOT_STORED_SINCE, 1, this.codePrefix + id, String(lookedAtUs)));
  }

  private async scanKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...found);
      cursor = next;
    } while (cursor !== '0');
    return keys;
  }
}

/** KEYS[1] a bundle's hash, ARGV[1] code, ARGV[2] manifest: writes them stamped with Redis's clock (µs). */
const STORE_BUNDLE = `
local t = redis.call('TIME')
redis.call('HSET', KEYS[1], 'code', ARGV[1], 'manifest', ARGV[2], 'storedAtUs', t[1] .. string.format('%06d', tonumber(t[2])))
return 1
`;

/** KEYS[1] a bundle's hash, ARGV[1] a time (µs): deletes it unless stored at or after that time; the code's length freed. */
const DELETE_IF_NOT_STORED_SINCE = `
local stored = tonumber(redis.call('HGET', KEYS[1], 'storedAtUs') or '0') or 0
if stored >= tonumber(ARGV[1]) then return 0 end
local bytes = redis.call('HSTRLEN', KEYS[1], 'code')
redis.call('DEL', KEYS[1])
return bytes
`;
