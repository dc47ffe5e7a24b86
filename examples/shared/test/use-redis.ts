import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '@sessionkit/testing';

/** One redis-server for the file; every client made through it is closed at the end. */
export function useRedis() {
  const server = new RedisServer();
  const clients: Redis[] = [];
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await server.dispose();
  });
  return {
    server,
    client(options: RedisOptions = {}): Redis {
      const client = new Redis({ host: server.host, port: server.port, ...options });
      clients.push(client);
      return client;
    },
  };
}

export type TestRedis = ReturnType<typeof useRedis>;
