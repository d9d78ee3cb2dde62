import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServer } from '../../scripts/local-cluster/index.js';

/**
 * A Redis server of the test file's own (a temp dir, a free port) and one client of it, started
 * before the file's tests and stopped after them. Call at the top of a describe() or of the file.
 */
export function useRealRedis(): { readonly redis: Redis } {
  let server: RedisServer | undefined;
  let redis: Redis | undefined;
  before(async () => {
    server = await startRedisServer();
    redis = new Redis(server.url);
  });
  after(async () => {
    redis?.disconnect();
    await server?.stop();
  });
  return {
    get redis(): Redis {
      if (!redis) throw new Error('useRealRedis: Redis is not started yet (use it inside a test)');
      return redis;
    },
  };
}
