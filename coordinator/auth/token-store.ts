import type { Redis } from 'ioredis';
import { API_TOKEN_RULE, generateApiToken, hashApiToken, isApiTokenShaped } from '../../shared/auth/api-token.js';
import { isRole, type Role } from '../../shared/auth/roles.js';

/** A token's holder as the API sees it. */
export interface Principal {
  user: string;
  role: Role;
}

/** A token as listed: never the token nor its hash. */
export interface TokenInfo extends Principal {
  createdAt: number;
  /** 0: never expires. */
  expiresAt: number;
}

/** 1 to 64 of A-Z a-z 0-9 . _ - @, starting with a letter or digit. */
export const USER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/**
 * How long a verified token is believed without asking Redis again. Revocation reaches every
 * coordinator within this time (the goal is 1 s).
 */
export const TOKEN_CACHE_MS = 500;

/**
 * While Redis cannot be asked, a token verified within this long keeps working (like Consul's
 * extend-cache down policy): nobody can revoke a token while Redis is down, and the calls then fail
 * on what they need Redis for, naming that store, instead of all failing on the token check.
 */
export const TOKEN_OUTAGE_GRACE_MS = 60_000;

/**
 * API tokens in Redis, one per user name, stored only as SHA-256 hashes:
 *   <prefix>auth:token:<hash> → hash { user, role, createdAt, expiresAt }
 *   <prefix>auth:user:<name>  → <hash>
 * Expiry is checked on every verification and also set as the keys' TTL, so expired tokens vanish.
 */
export class TokenStore {
  private readonly cache = new Map<string, { principal: Principal | undefined; until: number; verifiedAt: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'quantgrid:',
    private readonly now: () => number = Date.now,
  ) {}

  private tokenKey(hash: string): string {
    return `${this.prefix}auth:token:${hash}`;
  }

  private userKey(user: string): string {
    return `${this.prefix}auth:user:${user}`;
  }

  /** A new token for `user`; undefined when the user has one already (revoke it first). */
  async create(user: string, role: Role, expiresAt = 0): Promise<string | undefined> {
    const token = generateApiToken();
    return (await this.put(user, role, token, expiresAt, false)) ? token : undefined;
  }

  /**
   * Registers a token the caller already holds (the bootstrap admin token read from its file) when the
   * user has none, e.g. on a new cluster or after a Redis wipe. A user who has another token keeps it:
   * a revoked-and-recreated admin token is not undone by restarting a coordinator. Says which happened.
   */
  async install(user: string, role: Role, token: string): Promise<'installed' | 'present' | 'user-has-another'> {
    if (!isApiTokenShaped(token)) throw new Error('not a quantgrid token (${API_TOKEN_RULE})');
    const current = await this.redis.get(this.userKey(user));
    if (current === hashApiToken(token) && parseInfo(await this.redis.hgetall(this.tokenKey(current)))) return 'present';
    if (current && parseInfo(await this.redis.hgetall(this.tokenKey(current)))) return 'user-has-another';
    await this.put(user, role, token, 0, true);
    return 'installed';
  }

  private async put(user: string, role: Role, token: string, expiresAt: number, replace: boolean): Promise<boolean> {
    const hash = hashApiToken(token);
    const fields = { user, role, createdAt: String(this.now()), expiresAt: String(expiresAt) };
    const ttlMs = expiresAt > 0 ? Math.max(1, expiresAt - this.now()) : 0;
    if (replace) {
      const previous = await this.redis.get(this.userKey(user));
      const multi = this.redis.multi();
      if (previous && previous !== hash) multi.del(this.tokenKey(previous));
      multi.set(this.userKey(user), hash).hset(this.tokenKey(hash), fields).persist(this.userKey(user)).persist(this.tokenKey(hash));
      await multi.exec();
      this.cache.clear();
      return true;
    }
    const claimed = ttlMs > 0 ? await this.redis.set(this.userKey(user), hash, 'PX', ttlMs, 'NX') : await this.redis.set(this.userKey(user), hash, 'NX');
    if (claimed !== 'OK') return false;
    const multi = this.redis.multi().hset(this.tokenKey(hash), fields);
    if (ttlMs > 0) multi.pexpire(this.tokenKey(hash), ttlMs);
    await multi.exec();
    return true;
  }

  /** The user's token as listed, or undefined when the user has none (or it expired). */
  async info(user: string): Promise<TokenInfo | undefined> {
    const hash = await this.redis.get(this.userKey(user));
    const info = hash ? parseInfo(await this.redis.hgetall(this.tokenKey(hash))) : undefined;
    return info && (info.expiresAt === 0 || info.expiresAt > this.now()) ? info : undefined;
  }

  /** Removes the user's token; false when the user had none. */
  async revoke(user: string): Promise<boolean> {
    const hash = await this.redis.get(this.userKey(user));
    if (!hash) return false;
    await this.redis.multi().del(this.tokenKey(hash)).del(this.userKey(user)).exec();
    this.cache.clear();
    return true;
  }

  async list(): Promise<TokenInfo[]> {
    const infos: TokenInfo[] = [];
    const pattern = `${this.prefix}auth:token:*`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      // One round trip for each page of keys, not one per token.
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.hgetall(key);
      for (const [error, fields] of (await pipeline.exec()) ?? []) {
        if (error) throw error;
        const info = parseInfo(fields as Record<string, string>);
        if (info && (info.expiresAt === 0 || info.expiresAt > this.now())) infos.push(info);
      }
    } while (cursor !== '0');
    return infos.sort((a, b) => a.user.localeCompare(b.user));
  }

  /** The holder of a valid, unexpired token, or undefined. Cached for TOKEN_CACHE_MS. */
  async verify(token: string): Promise<Principal | undefined> {
    if (!isApiTokenShaped(token)) return undefined;
    const hash = hashApiToken(token);
    const now = this.now();
    const cached = this.cache.get(hash);
    if (cached && cached.until > now) return cached.principal;
    const withinGrace = cached?.principal !== undefined && now - cached.verifiedAt <= TOKEN_OUTAGE_GRACE_MS;
    // Known to be down (reconnecting): do not wait for a command to fail first.
    if (withinGrace && this.redis.status !== 'ready') return cached!.principal;
    let fields: Record<string, string>;
    try {
      fields = await this.redis.hgetall(this.tokenKey(hash));
    } catch (error) {
      if (withinGrace) return cached!.principal;
      throw error;
    }
    const info = parseInfo(fields);
    const principal = info && (info.expiresAt === 0 || info.expiresAt > now) ? { user: info.user, role: info.role } : undefined;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(hash, { principal, until: now + TOKEN_CACHE_MS, verifiedAt: now });
    return principal;
  }
}

function parseInfo(fields: Record<string, string>): TokenInfo | undefined {
  if (!fields.user || !isRole(fields.role)) return undefined;
  return { user: fields.user, role: fields.role, createdAt: Number(fields.createdAt) || 0, expiresAt: Number(fields.expiresAt) || 0 };
}
