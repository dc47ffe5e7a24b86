/**
 * The stores under test, behind one promise interface, for the sections that call stores
 * directly (memory per session, store operations). Each gets its own client and key prefix.
 */
import { Redis } from 'ioredis';
import { SessionStore, type SessionStoreOptions } from '@sessionkit/core';

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

export type StoreId = 'connect-redis8' | 'connect-redis9' | 'sessionkit' | 'sessionkit-node-redis';

export const STORE_LABELS: Record<StoreId, string> = {
  'connect-redis9': 'connect-redis 9 (node-redis)',
  'connect-redis8': 'connect-redis 8 (ioredis)',
  sessionkit: '@sessionkit/core (ioredis)',
  'sessionkit-node-redis': '@sessionkit/core (node-redis)',
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
    id,
    label,
    prefix,
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
    case 'sessionkit':
      return wrapSessionKit(id, label, 'ops-sk:', new Redis(redisUrl), options);
    case 'sessionkit-node-redis': {
      const { createClient } = await import('redis');
      const client = createClient({ url: redisUrl });
      await client.connect();
      try {
        // Typed through core's own option, so this compiles before and after core accepts node-redis.
        return wrapSessionKit(id, label, 'ops-sknr:', client as unknown as SessionStoreOptions['client'], options);
      } catch (error) {
        await client.quit();
        throw error;
      }
    }
  }
}

function wrapSessionKit(id: StoreId, label: string, prefix: string, client: SessionStoreOptions['client'], options: { revokeChunkSize?: number }): BenchStore {
  const store = new SessionStore<Session>({ client, prefix, ttl: TTL_MS, ...(options.revokeChunkSize ? { revokeChunkSize: options.revokeChunkSize } : {}) });
  return {
    id,
    label,
    prefix,
    get: (sid) => store.get(sid),
    // What the adapters do on a save: the owner comes from the session, the index follows.
    set: async (sid, s) => void (await store.set(sid, s, { ttl: TTL_MS, userId: s.userId ?? null })),
    touch: async (sid) => void (await store.touch(sid, { ttl: TTL_MS })),
    close: async () => void (await (client as unknown as { quit(): Promise<unknown> }).quit()),
  };
}

/**
 * Opens a store that may not be supported yet (SessionKit on node-redis before core's client
 * seam): a set and a get must work, or it is closed and the reason returned instead.
 */
export async function openOptionalStore(id: StoreId, redisUrl: string): Promise<BenchStore | { skipped: string }> {
  let store: BenchStore | undefined;
  try {
    store = await openStore(id, redisUrl);
    const sid = `probe-${Math.random().toString(36).slice(2)}`;
    await store.set(sid, { userId: 'probe', probe: true });
    if (!(await store.get(sid))) throw new Error('a session written could not be read back');
    return store;
  } catch (error) {
    await store?.close().catch(() => {});
    return {
      skipped: String((error as Error)?.message ?? error)
        .split('\n')[0]!
        .slice(0, 300),
    };
  }
}
