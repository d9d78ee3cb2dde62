import { readFile } from 'node:fs/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import { readSecretFile } from '../../shared/config/secret-file.js';
import type { Logger } from '../../shared/logging.js';
import { redisDisplayName, type RedisAddress } from './redis-address.js';

/** How to reach Redis beyond its address: secrets and the CA come from files, never argv or the environment. */
export interface RedisAccess {
  address: RedisAddress;
  /** A file holding the password of Redis (the master and its replicas); overrides a password in the address. */
  passwordFile?: string;
  /** With a sentinel address: a file holding the sentinels' own password (their requirepass), which may differ from the master's. */
  sentinelPasswordFile?: string;
  /** A CA (PEM) that signed the servers' certificates, for rediss:// and sentinels:// addresses with your own CA. */
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

/** Reconnect delays (ms) after the `times`-th failed attempt, capped at 2 s. */
const reconnectDelayMs = (times: number): number => Math.min(100 * 2 ** times, 2000);

function readPassword(file: string, flag: string, onExposed?: (warning: string) => void): string {
  try {
    const read = readSecretFile(file);
    if (read.exposure) onExposed?.(`${flag}: ${read.exposure}`);
    return read.reveal();
  } catch (error) {
    throw new Error(`the ${flag === '--redis-password-file' ? 'Redis' : 'Redis Sentinel'} password file: ${(error as Error).message}`);
  }
}

/** The ioredis options for `access` beyond a server URL: password, sentinels and TLS, secrets from files. */
export async function redisOptions(access: RedisAccess, onExposed?: (warning: string) => void): Promise<RedisOptions> {
  const { address } = access;
  const options: RedisOptions = {};
  if (address.kind === 'sentinel') {
    Object.assign(options, { sentinels: address.sentinels, name: address.masterName, db: address.db, username: address.username, password: address.password });
    // Every sentinel unreachable: ask them all again, forever (a connection whose connector gives up ends for good).
    options.sentinelRetryStrategy = reconnectDelayMs;
    // A write that reached a master just demoted to a replica: reconnect (to the new master) and send it again.
    options.reconnectOnError = (error) => (error.message.startsWith('READONLY') ? 2 : false);
  }
  if (access.passwordFile) options.password = readPassword(access.passwordFile, '--redis-password-file', onExposed);
  if (access.sentinelPasswordFile) {
    if (address.kind !== 'sentinel') throw new Error('--redis-sentinel-password-file needs a sentinel:// address');
    options.sentinelPassword = readPassword(access.sentinelPasswordFile, '--redis-sentinel-password-file', onExposed);
  }
  if (access.tlsCaFile && !address.tls) throw new Error('--redis-tls-ca needs a rediss:// or sentinels:// address');
  let ca: Buffer | undefined;
  if (access.tlsCaFile) {
    try {
      ca = await readFile(access.tlsCaFile);
    } catch (error) {
      throw new Error(`cannot read the Redis TLS CA ${access.tlsCaFile}: ${errorMessage(error)}`);
    }
  }
  if (address.kind === 'server') {
    if (ca) options.tls = { ca };
  } else if (address.tls) {
    // The same CA for the sentinels and for the Redis servers they name.
    Object.assign(options, { enableTLSForSentinelMode: true, tls: ca ? { ca } : {}, sentinelTLS: ca ? { ca } : {} });
  }
  return options;
}

/** A new client of the Redis at `address` (its URL, or the master its sentinels name), with `options`. */
function newRedis(address: RedisAddress, options: RedisOptions): Redis {
  return address.kind === 'server' ? new Redis(address.url.href, options) : new Redis(options);
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
 * unreachable, instead of crashing. The returned connection reconnects by itself later on; at a
 * sentinel address it asks the sentinels for the master at each reconnect, so it follows a failover.
 * Wrong credentials (of Redis or of a sentinel) are not waited out: they throw RedisAuthenticationError at once.
 * maxRetriesPerRequest is null because BullMQ's blocking commands need it.
 */
export async function connectRedis(access: RedisAccess, log: Logger, signal: AbortSignal): Promise<Redis> {
  const { address } = access;
  const extra = await redisOptions(access, (warning) => log.warn({ file: access.passwordFile ?? access.sentinelPasswordFile }, warning));
  const name = redisDisplayName(address);
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const redis = newRedis(address, { maxRetriesPerRequest: null, lazyConnect: true, retryStrategy: reconnectDelayMs, ...extra });
    // Reported below; kept because a refused AUTH rejects connect() with only "Connection is closed".
    let lastError: unknown;
    let sentinelRefusal: unknown;
    const onError = (error: Error): void => {
      lastError = error;
      // ioredis asks the sentinels again by itself (connect() waits): say why meanwhile.
      if (/^All sentinels are unreachable/.test(error.message)) log.warn({ redis: name, err: errorMessage(error) }, 'Redis Sentinel: no sentinel named a master; retrying');
    };
    const onSentinelError = (error: Error): void => {
      if (!isRedisAuthenticationFailure(error)) return;
      sentinelRefusal = error;
      redis.disconnect();
    };
    const stop = (): void => redis.disconnect();
    redis.on('error', onError);
    redis.on('sentinelError', onSentinelError);
    signal.addEventListener('abort', stop, { once: true });
    try {
      await redis.connect();
      await redis.ping();
      signal.removeEventListener('abort', stop);
      redis.off('error', onError);
      redis.off('sentinelError', onSentinelError);
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
      signal.removeEventListener('abort', stop);
      redis.disconnect();
      if (sentinelRefusal) {
        throw new RedisAuthenticationError(`Redis Sentinel authentication failed at ${name}: ${errorMessage(sentinelRefusal)} (check the password in --redis-sentinel-password-file)`);
      }
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
