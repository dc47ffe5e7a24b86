import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { freePort, RedisServer, startRedisCluster, startRedisSentinel } from '@sessionkit/testing';
import { clientStatus, connectRedis, nodeRedisClientOptions, redisClientOptions } from '../src/index.js';
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

describe('example: REDIS_CLIENT=node-redis', () => {
  it('connectRedis builds a connected node-redis client with the recommended settings, which the store takes', async () => {
    const redis = await new RedisServer().start();
    try {
      const lines: string[] = [];
      const connection = await connectRedis({ env: { REDIS_URL: redis.url, REDIS_CLIENT: 'node-redis' }, log: (line) => lines.push(line) });
      expect(connection.library).toBe('node-redis');
      expect(lines).toEqual([`Redis: ${redis.url} (REDIS_URL, node-redis)`]);
      const client = connection.client as unknown as { isReady: boolean; options: { commandOptions?: unknown } };
      expect(client.isReady).toBe(true);
      expect(client.options.commandOptions).toEqual(nodeRedisClientOptions.commandOptions);
      expect(clientStatus(connection.client)).toBe('ready');
      const store = new SessionStore({ client: connection.client, prefix: 'example-nr:' });
      expect(store.redis.library).toBe('node-redis');
      await store.set('s1', { n: 1 }, { userId: 'u' });
      expect(await store.countUserSessions('u')).toBe(1);
      await connection.close();
      expect(clientStatus(connection.client)).toBe('end');
    } finally {
      await redis.dispose();
    }
  });

  it('an unknown REDIS_CLIENT is refused, naming the choices', async () => {
    await expect(connectRedis({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLIENT: 'jedis' }, log: () => {} })).rejects.toThrow(
      /REDIS_CLIENT must be "ioredis" \(the default\), "node-redis" or "bun", got "jedis"/,
    );
  });

  it("REDIS_CLIENT=bun on Node is refused: Bun's RedisClient needs the Bun runtime (the Hono example runs it on Bun, npm run test:bun)", async () => {
    await expect(connectRedis({ env: { REDIS_URL: 'redis://127.0.0.1:1', REDIS_CLIENT: 'bun' }, log: () => {} })).rejects.toThrow(/needs the Bun runtime/);
  });

  it('fails with a clear error within its readyTimeoutMs when nothing listens', async () => {
    const port = await freePort();
    const [error, ms] = await timed(
      connectRedis({ env: { REDIS_URL: `redis://127.0.0.1:${port}`, REDIS_CLIENT: 'node-redis' }, readyTimeoutMs: 1500, log: () => {} }).then(
        (c) => (c.close(), null),
        (e: Error) => e,
      ),
    );
    expect(error).toBeInstanceOf(Error);
    expect(error!.message).toMatch(
      new RegExp(`Redis at redis://127\\.0\\.0\\.1:${port} \\(REDIS_URL, node-redis\\) was not ready within 1500 ms: .*ECONNREFUSED`),
    );
    expect(ms).toBeLessThan(REQUEST_BOUND_MS);
  });

  it('REDIS_CLUSTER_NODES and REDIS_SENTINELS give a node-redis createCluster and createSentinel', async () => {
    const cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    const sentinel = await startRedisSentinel({ name: 'examples' });
    try {
      const nodes = cluster.startupNodes.map((n) => `${n.host}:${n.port}`).join(',');
      const onCluster = await connectRedis({ env: { REDIS_CLUSTER_NODES: nodes, REDIS_CLIENT: 'node-redis' }, log: () => {} });
      const sentinels = sentinel.sentinels.map((n) => `${n.host}:${n.port}`).join(',');
      const onSentinel = await connectRedis({
        env: { REDIS_SENTINELS: sentinels, REDIS_SENTINEL_NAME: 'examples', REDIS_CLIENT: 'node-redis' },
        log: () => {},
      });
      try {
        const clustered = new SessionStore({ client: onCluster.client, prefix: 'example-nrc:' });
        expect(clustered.redis).toMatchObject({ library: 'node-redis', cluster: true });
        const watched = new SessionStore({ client: onSentinel.client, prefix: 'example-nrs:' });
        expect(watched.redis).toMatchObject({ library: 'node-redis', cluster: false });
        for (const store of [clustered, watched]) {
          await Promise.all(['a', 'b', 'c'].map((id) => store.set(id, { id }, { userId: 'both' })));
          expect(await store.invalidateAllUserSessions('both', { except: 'a' })).toBe(2);
          expect((await store.listUserSessions('both')).map((s) => s.id)).toEqual([store.sessionHandle('a')]);
        }
        expect(clientStatus(onCluster.client)).toBe('ready');
        expect(clientStatus(onSentinel.client)).toBe('ready');
      } finally {
        await onCluster.close();
        await onSentinel.close();
      }
    } finally {
      await cluster.dispose();
      await sentinel.dispose();
    }
  }, 60_000);
});
