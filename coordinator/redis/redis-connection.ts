import { readFile } from 'node:fs/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import { readSecretFile } from '../../shared/config/secret-file.js';
import type { Logger } from '../../shared/logging.js';

/** How to reach Redis beyond its URL: secrets and the CA come from files, never argv or the environment. */
export interface RedisAccess {
  url: URL;
  /** A file holding the password (one line); overrides a password in the URL. */
  passwordFile?: string;
  /** A CA (PEM) that signed the server's certificate, for rediss:// URLs with your own CA. */
  tlsCaFile?: string;
}

/** Redis refused our credentials: retrying will not help, so the caller stops with this message. */
export class RedisAuthenticationError extends Error {
  override readonly name = 'RedisAuthenticationError';
}

const AUTH_FAILURE = /WRONGPASS|NOAUTH|invalid password|invalid username-password/i;

export function isRedisAuthenticationFailure(error: unknown): boolean {
  return AUTH_FAILURE.test(errorMessage(error));
}

/** The ioredis options for `access`: password and TLS from files. */
export async function redisOptions(access: RedisAccess, onExposed?: (warning: string) => void): Promise<RedisOptions> {
  const options: RedisOptions = {};
  if (access.passwordFile) {
    try {
      const read = readSecretFile(access.passwordFile);
      if (read.exposure) onExposed?.(`--redis-password-file: ${read.exposure}`);
      options.password = read.reveal();
    } catch (error) {
      throw new Error(`the Redis password file: ${(error as Error).message}`);
    }
  }
  if (access.tlsCaFile) {
    if (access.url.protocol !== 'rediss:') throw new Error('--redis-tls-ca needs a rediss:// URL');
    try {
      options.tls = { ca: await readFile(access.tlsCaFile) };
    } catch (error) {
      throw new Error(`cannot read the Redis TLS CA ${access.tlsCaFile}: ${errorMessage(error)}`);
    }
  }
  return options;
}

/** host:port of the URL, for logs: never its password. */
export function redisDisplayName(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/**
 * Gives `source` (a duplicate() of a connection, or a BullMQ queue on one) an 'error' listener that
 * reports at debug, once per outage (the main connection already warns): without one, ioredis and
 * BullMQ dump every reconnect failure raw on stderr while Redis is down.
 */
export function reportConnectionErrors(source: { on(event: 'error', listener: (error: Error) => void): unknown }, log: Logger, purpose: string, ready?: (listener: () => void) => void): void {
  let down = false;
  source.on('error', (error) => {
    if (!down) log.debug({ connection: purpose, err: errorMessage(error) }, 'Redis connection lost; reconnecting');
    // A source that does not say when it is back (a BullMQ queue) reports each error.
    down = ready !== undefined;
  });
  ready?.(() => (down = false));
}

/** Another connection with the same settings that reports its own connection errors (a duplicate() has none of the original's listeners). */
export function duplicateRedis(redis: Redis, log: Logger, purpose: string, override: Partial<RedisOptions> = {}): Redis {
  const copy = redis.duplicate(override);
  reportConnectionErrors(copy, log, purpose, (listener) => copy.on('ready', listener));
  return copy;
}

/**
 * Connects to Redis, waiting with capped exponential backoff (and saying so) while it is
 * unreachable, instead of crashing. The returned connection reconnects by itself later on.
 * Wrong credentials are not waited out: they throw RedisAuthenticationError at once.
 * maxRetriesPerRequest is null because BullMQ's blocking commands need it.
 */
export async function connectRedis(access: RedisAccess | URL, log: Logger, signal: AbortSignal): Promise<Redis> {
  const { url, ...rest } = access instanceof URL ? { url: access } : access;
  const extra = await redisOptions({ url, ...rest }, (warning) => log.warn({ file: rest.passwordFile }, warning));
  const name = redisDisplayName(url);
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const redis = new Redis(url.href, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
      ...extra,
    });
    // Reported below; kept because a refused AUTH rejects connect() with only "Connection is closed".
    let lastError: unknown;
    redis.on('error', (error) => (lastError = error));
    try {
      await redis.connect();
      await redis.ping();
      if (attempt > 1) log.info({ redis: name }, 'Redis reachable');
      let down = false;
      redis.on('error', (error) => {
        if (!down) log.warn({ redis: name, err: errorMessage(error) }, 'Redis connection lost; reconnecting');
        down = true;
      });
      redis.on('ready', () => {
        if (down) log.info({ redis: name }, 'Redis reconnected');
        down = false;
      });
      return redis;
    } catch (error) {
      redis.disconnect();
      const cause = [error, lastError].find(isRedisAuthenticationFailure);
      if (cause) {
        throw new RedisAuthenticationError(`Redis authentication failed at ${name}: ${errorMessage(cause)} (check the password in --redis-password-file or the URL)`);
      }
      if (signal.aborted) throw new Error('stopped while waiting for Redis');
      log.warn({ redis: name, err: errorMessage(error), retryInMs: delayMs }, 'Redis unreachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
