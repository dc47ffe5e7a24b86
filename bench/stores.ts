/**
 * The stores under test, behind one promise interface, for the sections that call stores
 * directly (memory per session, store operations). Each gets its own client and key prefix.
 */
import { Redis } from 'ioredis';
import { SessionStore } from '@sessionkit/core';

export type Session = Record<string, unknown> & { userId?: string };

export interface BenchStore {
  id: string;
  label: string;
  prefix: string;
  get(sid: string): Promise<unknown>;
  set(sid: string, session: Session): Promise<void>;
  touch(sid: string, session: Session): Promise<void>;
  close(): Promise<void>;
}

export type StoreId = 'connect-redis8' | 'connect-redis9' | 'sessionkit';

export const STORE_LABELS: Record<StoreId, string> = {
  'connect-redis9': 'connect-redis 9 (node-redis)',
  'connect-redis8': 'connect-redis 8 (ioredis)',
  sessionkit: '@sessionkit/core',
};

const TTL_MS = 86_400_000;

/** connect-redis 8 and 9 have the same promise methods (express-session's store contract); only their clients differ. */
interface ConnectRedisLike {
  get(sid: string): Promise<unknown>;
  set(sid: string, session: never): Promise<unknown>;
  touch(sid: string, session: never): Promise<unknown>;
}

function wrapConnectRedis(id: StoreId, label: string, prefix: string, store: ConnectRedisLike, quit: () => Promise<unknown>): BenchStore {
  return {
    id, label, prefix,
    get: (sid) => store.get(sid),
    set: async (sid, s) => void (await store.set(sid, s as never)),
    touch: async (sid, s) => void (await store.touch(sid, s as never)),
    close: async () => void (await quit()),
  };
}

export async function openStore(id: StoreId, redisUrl: string, options: { revokeChunkSize?: number } = {}): Promise<BenchStore> {
  const label = STORE_LABELS[id];
  switch (id) {
    case 'connect-redis8': {
      const { RedisStore } = await import('connect-redis');
      const client = new Redis(redisUrl);
      const prefix = 'ops-cr8:';
      return wrapConnectRedis(id, label, prefix, new RedisStore({ client, prefix }), () => client.quit());
    }
    case 'connect-redis9': {
      const { createClient } = await import('redis');
      const { RedisStore } = await import('connect-redis9');
      const client = createClient({ url: redisUrl });
      await client.connect();
      const prefix = 'ops-cr9:';
      return wrapConnectRedis(id, label, prefix, new RedisStore({ client, prefix }), () => client.quit());
    }
    case 'sessionkit': {
      const client = new Redis(redisUrl);
      const prefix = 'ops-sk:';
      const store = new SessionStore<Session>({ client, prefix, ttl: TTL_MS, ...(options.revokeChunkSize ? { revokeChunkSize: options.revokeChunkSize } : {}) });
      return {
        id, label, prefix,
        get: (sid) => store.get(sid),
        // What the adapters do on a save: the owner comes from the session, the index follows.
        set: async (sid, s) => void (await store.set(sid, s, { ttl: TTL_MS, userId: s.userId ?? null })),
        touch: async (sid) => void (await store.touch(sid, { ttl: TTL_MS })),
        close: async () => void (await client.quit()),
      };
    }
  }
}
