import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '@sessionkit/testing';
import { connectRedis, redisClientOptions } from '../src/index.js';
import { failOnUnhandledRejections, REQUEST_BOUND_MS, timed } from './faults.js';

/**
 * connectRedis (src/redis.ts) against real redis-server processes: what both example apps do at
 * boot, before any framework is involved. Bounds as in faults.ts.
 */
failOnUnhandledRejections();

describe('example: Redis unreachable at boot', () => {
  it('connectRedis fails with a clear error within its readyTimeoutMs when nothing listens', async () => {
    const port = await freePort();
    const [error, ms] = await timed(
      connectRedis({ env: { REDIS_URL: `redis://127.0.0.1:${port}` }, readyTimeoutMs: 1500, log: () => {} }).then(
        (c) => (c.close(), null),
        (e: Error) => e,
      ),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL\\) was not ready within 1500 ms: .*ECONNREFUSED`));
    expect(ms).toBeLessThan(REQUEST_BOUND_MS);
  });

  it('connectRedis fails with a clear error when Redis accepts connections but never answers', async () => {
    const redis = await new RedisServer().start();
    redis.pause();
    try {
      const [error, ms] = await timed(
        connectRedis({ env: { REDIS_URL: redis.url }, readyTimeoutMs: 3000, log: () => {} }).then(
          (c) => (c.close(), null),
          (e: Error) => e,
        ),
      );
      expect(error).toBeInstanceOf(Error);
      expect(error!.message).toMatch(/was not ready within 3000 ms/);
      expect(ms).toBeLessThan(3000 + REQUEST_BOUND_MS);
    } finally {
      redis.resume();
      await redis.dispose();
    }
  });

  it('connectRedis uses the recommended client settings', async () => {
    const redis = await new RedisServer().start();
    try {
      const connection = await connectRedis({ env: { REDIS_URL: redis.url }, log: () => {} });
      expect((connection.client as Redis).options).toMatchObject(redisClientOptions);
      await connection.close();
    } finally {
      await redis.dispose();
    }
  });
});
