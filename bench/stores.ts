/**
 * The stores under test, behind one promise interface, for the sections that call stores
 * directly (memory per session, store operations). Each gets its own client and key prefix.
 */
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { DAY_MS, type SessionBag } from './session-data.js';

export interface BenchStore {
  id: StoreId;
  label: string;
  prefix: string;
  get(sid: string): Promise<unknown>;
  set(sid: string, session: SessionBag): Promise<void>;
  touch(sid: string, session: SessionBag): Promise<void>;
  close(): Promise<void>;
}

export type StoreId = 'connect-redis8' | 'connect-redis9' | 'sessionkit' | 'sessionkit-node-redis';
type Opened = Omit<BenchStore, 'id' | 'label' | 'prefix'>;
type Quit = { quit(): Promise<unknown> };

async function nodeRedis(url: string) {
  const client = createClient({ url });
  await client.connect();
  return client;
}

/** connect-redis 8 and 9 have the same promise methods (express-session's store contract); only their clients differ. */
function connectRedis(
  store: { get(sid: string): Promise<unknown>; set(sid: string, s: never): Promise<unknown>; touch(sid: string, s: never): Promise<unknown> },
  client: Quit,
): Opened {
  return {
    get: (sid) => store.get(sid),
    set: async (sid, s) => void (await store.set(sid, s as never)),
    touch: async (sid, s) => void (await store.touch(sid, s as never)),
    close: async () => void (await client.quit()),
  };
}

function sessionKit(client: SessionStoreOptions['client'] & Quit, prefix: string): Opened {
  const store = new SessionStore<SessionBag>({ client, prefix, ttl: DAY_MS });
  return {
    get: (sid) => store.get(sid),
    // What the adapters do on a save: the owner comes from the session, the index follows.
    set: async (sid, s) => void (await store.set(sid, s, { ttl: DAY_MS, userId: s.userId ?? null })),
    // The owner the adapters pass too (the one they loaded): without it a signed-in session's
    // touch is refused once by the script, which names the owner, and sent again (two round trips).
    touch: async (sid, s) => void (await store.touch(sid, { ttl: DAY_MS, userId: s.userId ?? null })),
    close: async () => void (await client.quit()),
  };
}

const STORES: Record<StoreId, { label: string; prefix: string; open(url: string, prefix: string): Promise<Opened> }> = {
  'connect-redis8': {
    label: 'connect-redis 8 (ioredis)',
    prefix: 'ops-cr8:',
    open: async (url, prefix) => {
      const client = new Redis(url);
      return connectRedis(new (await import('connect-redis')).RedisStore({ client, prefix }), client);
    },
  },
  'connect-redis9': {
    label: 'connect-redis 9 (node-redis)',
    prefix: 'ops-cr9:',
    open: async (url, prefix) => {
      const client = await nodeRedis(url);
      return connectRedis(new (await import('connect-redis9')).RedisStore({ client, prefix }), client);
    },
  },
  sessionkit: { label: '@sessionkit/core (ioredis)', prefix: 'ops-sk:', open: async (url, prefix) => sessionKit(new Redis(url), prefix) },
  'sessionkit-node-redis': {
    label: '@sessionkit/core (node-redis)',
    prefix: 'ops-sknr:',
    open: async (url, prefix) => sessionKit(await nodeRedis(url), prefix),
  },
};

export async function openStore(id: StoreId, redisUrl: string): Promise<BenchStore> {
  const { label, prefix, open } = STORES[id];
  return { id, label, prefix, ...(await open(redisUrl, prefix)) };
}
