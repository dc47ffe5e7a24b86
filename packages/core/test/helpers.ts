import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisServer } from '@sessionkit/testing';

/** One real redis-server per test file, and a client factory whose clients are all closed at the end. */
export function useRedis(args: string[] = []) {
  const server = new RedisServer({ args });
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
    client(options: Record<string, unknown> = {}): Redis {
      const client = new Redis({ port: server.port, host: server.host, lazyConnect: false, ...options });
      clients.push(client);
      return client;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
