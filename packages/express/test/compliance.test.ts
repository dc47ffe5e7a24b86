import { promisify } from 'node:util';
import type { SessionData } from 'express-session';
import { Redis } from 'ioredis';
import { RedisServer, runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '@sessionkit/express';

const server = new RedisServer();
let client: Redis;

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await client?.quit().catch(() => client.disconnect());
  await server.dispose();
});

runStoreCompliance('@sessionkit/express RedisStore (callback API, promisified)', async () => {
  client = new Redis({ host: server.host, port: server.port });
  const store = new RedisStore({ client, touchAfter: 0 });
  const get = promisify(store.get.bind(store)) as (sid: string) => Promise<SessionData | null | undefined>;
  const set = promisify(store.set.bind(store)) as (sid: string, s: SessionData) => Promise<void>;
  const touch = promisify(store.touch.bind(store)) as (sid: string, s: SessionData) => Promise<void>;
  const destroy = promisify(store.destroy.bind(store)) as (sid: string) => Promise<void>;
  const ids = promisify(store.ids.bind(store)) as () => Promise<string[]>;
  const all = promisify(store.all.bind(store)) as () => Promise<unknown[]>;
  const length = promisify(store.length.bind(store)) as () => Promise<number>;
  const clear = promisify(store.clear.bind(store)) as () => Promise<void>;
  return {
    store: {
      get: async (id) => ((await get(id)) ?? null) as TestSession | null,
      set: (id, s) => set(id, s as unknown as SessionData),
      touch: (id, s) => touch(id, s as unknown as SessionData),
      destroy: async (id) => {
        await destroy(id);
      },
      ids,
      all,
      length,
      clear: async () => {
        await clear();
      },
    },
    teardown: async () => store.close(),
  };
});
