import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { BunClients, type BunClient, type BunClientOptions } from './bun.js';
import { NodeRedisClients, type NodeRedisSingle, type NodeRedisVariant } from './node-redis.js';
import { RedisServer } from './redis-server.js';
import type { RedisClientOptions } from 'redis';

/**
 * One real redis-server for a test file, started in `beforeAll` and disposed in `afterAll`, and a
 * factory of ioredis clients (and of node-redis ones) on it, all closed at the end. `args` go to redis-server.
 *
 * Kept apart from redis-server.ts because it registers vitest hooks, and the launcher is also used
 * outside vitest (the examples' embedded Redis, the soak, the bench).
 */
export function useRedis(args: string[] = []) {
  const server = new RedisServer({ args });
  const clients: Redis[] = [];
  const nodeRedisClients = new NodeRedisClients();
  const bunClients = new BunClients();
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await nodeRedisClients.closeAll();
    bunClients.closeAll();
    await server.dispose();
  });
  return {
    server,
    client(options: RedisOptions = {}): Redis {
      if (!server.port) throw new Error('useRedis: client() was called before the server started (call it from a hook or a test)');
      const client = new Redis({ host: server.host, port: server.port, ...options });
      clients.push(client);
      return client;
    },
    /** A connected node-redis `createClient` (v5 or v6, see nodeRedisVariants), closed in `afterAll`. */
    nodeRedis(variant: NodeRedisVariant, options: RedisClientOptions = {}): Promise<NodeRedisSingle> {
      if (!server.port) throw new Error('useRedis: nodeRedis() was called before the server started (call it from a hook or a test)');
      return nodeRedisClients.client(variant, { host: server.host, port: server.port }, options);
    },
    /** A connected Bun `RedisClient` (only when the tests run on Bun), closed in `afterAll`; `url` defaults to the server's. */
    bun(options: BunClientOptions = {}, url?: string): Promise<BunClient> {
      if (!server.port) throw new Error('useRedis: bun() was called before the server started (call it from a hook or a test)');
      return bunClients.client(url ?? `redis://${server.host}:${server.port}`, options);
    },
  };
}

export type TestRedis = ReturnType<typeof useRedis>;
