import { Redis } from 'ioredis';
import { errorMessage } from '../../shared/errors.js';
import type { Logger } from '../../shared/logging.js';

/**
 * Connects to Redis, waiting with capped exponential backoff (and saying so) while it is
 * unreachable, instead of crashing. The returned connection reconnects by itself later on.
 * maxRetriesPerRequest is null because BullMQ's blocking commands need it.
 */
export async function connectRedis(url: URL, log: Logger, signal: AbortSignal): Promise<Redis> {
  let delayMs = 250;
  for (let attempt = 1; ; attempt++) {
    const redis = new Redis(url.href, {
      maxRetriesPerRequest: null,
      lazyConnect: true,
      retryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    });
    redis.on('error', () => undefined); // reported below and by the retry strategy; avoid unhandled 'error' events
    try {
      await redis.connect();
      await redis.ping();
      if (attempt > 1) log.info({ redis: url.host }, 'Redis reachable');
      let down = false;
      redis.on('error', (error) => {
        if (!down) log.warn({ redis: url.host, err: errorMessage(error) }, 'Redis connection lost; reconnecting');
        down = true;
      });
      redis.on('ready', () => {
        if (down) log.info({ redis: url.host }, 'Redis reconnected');
        down = false;
      });
      return redis;
    } catch (error) {
      redis.disconnect();
      if (signal.aborted) throw new Error('stopped while waiting for Redis');
      log.warn({ redis: url.host, err: errorMessage(error), retryInMs: delayMs }, 'Redis unreachable; retrying');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = Math.min(delayMs * 2, 5000);
    }
  }
}
