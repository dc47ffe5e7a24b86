import type { Redis } from 'ioredis';
import { beforeAll } from 'vitest';
import { SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import type { FrameworkStore } from '@sessionkit/core/toolkit';
import { nodeRedisVariants, underBun, useRedis, type ComplianceTarget, type TestRedis, type TestSession } from '@sessionkit/testing';

export { useRedis };

/**
 * A core FrameworkStore as the shared compliance suite takes it. Its promise API already is the
 * suite's contract, so the store goes in as it is. The single-node, Cluster and ioredis 6 runs
 * all use this, so they differ only in the client.
 */
export function complianceTarget(store: FrameworkStore<TestSession>): ComplianceTarget {
  return { store, teardown: async () => {} };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls per command since the last reset, from INFO commandstats (what Redis itself executed). */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/**
 * Counts socket writes a client makes while `work` runs: each write is one batch of commands
 * sent before waiting, so the count is an upper bound on round trips. Instruments the real
 * socket; nothing is stubbed.
 */
export async function countWrites<R>(client: Redis, work: () => Promise<R>): Promise<{ writes: number; result: R }> {
  const { writes, result } = await countWritesEach([client], work);
  return { writes: writes[0]!, result };
}

/**
 * `countWrites` for several connections at once, e.g. every master connection of a cluster
 * client (`cluster.nodes('master')`): `writes[i]` is what `clients[i]`'s socket was handed.
 */
export async function countWritesEach<R>(clients: Redis[], work: () => Promise<R>): Promise<{ writes: number[]; result: R }> {
  // A connected socket to instrument: cluster node connections are opened lazily.
  await Promise.all(clients.map((client) => client.ping()));
  const writes = clients.map(() => 0);
  const restore = clients.map((client, i) => {
    const stream = (client as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const original = stream.write;
    stream.write = function (this: unknown, ...args: unknown[]) {
      writes[i]!++;
      return original.apply(this, args);
    };
    return () => {
      stream.write = original;
    };
  });
  try {
    const result = await work();
    return { writes, result };
  } finally {
    for (const undo of restore) undo();
  }
}

export { rawRecord, recordData, withRecordData, type RawRecord } from '@sessionkit/testing';

/**
 * The ioredis client a store was built on, typed as such: `store.client` is typed as any client
 * the store accepts (ioredis or node-redis), and these tests inspect Redis through ioredis.
 */
export function ioredisOf(store: { client: unknown }): Redis {
  return admins.get(store.client as object) ?? (store.client as Redis);
}

/**
 * Which client a parametrized file runs on: ioredis 5, and node-redis 5 (RESP2) and 6 (RESP3);
 * under the Bun runtime (`npm run test:bun`), Bun's own RedisClient only: the other clients
 * are tested on Node.
 */
export const storeClients: readonly string[] = underBun ? ['bun'] : ['ioredis', ...nodeRedisVariants.map((variant) => variant.name)];

/** The admin ioredis connection that inspects Redis for a node-redis client (see ioredisOf). */
const admins = new WeakMap<object, Redis>();

/**
 * A client of the given kind on the file's server: a new ioredis client each call (as the files
 * always did), or one connected node-redis (or Bun) client per kind, made in `beforeAll`. For a
 * node-redis or Bun client, `ioredisOf(store)` gives an ioredis connection to the same server, so the
 * tests' raw inspection (PTTL, ZRANGE, SET of a foreign value) reads the same either way.
 */
export function useStoreClients(redis: TestRedis): (kind: (typeof storeClients)[number]) => SessionStoreOptions['client'] {
  const made = new Map<string, SessionStoreOptions['client']>();
  beforeAll(async () => {
    if (underBun) {
      const client = await redis.bun();
      admins.set(client, redis.client());
      made.set('bun', client);
      return;
    }
    for (const variant of nodeRedisVariants) {
      const client = await redis.nodeRedis(variant);
      admins.set(client, redis.client());
      made.set(variant.name, client as unknown as SessionStoreOptions['client']);
    }
  });
  return (kind) => {
    if (kind === 'ioredis') return redis.client();
    const client = made.get(kind);
    if (!client) throw new Error(`useStoreClients: no ${kind} client yet (use it from a hook or a test)`);
    return client;
  };
}

/**
 * `countWrites` on the store's own connection when it is ioredis; `writes` is undefined on
 * node-redis, whose socket is private (it writes one tick's commands together by itself).
 */
export async function storeWrites<R>(store: { client: unknown }, work: () => Promise<R>): Promise<{ writes: number | undefined; result: R }> {
  if (admins.has(store.client as object)) return { writes: undefined, result: await work() };
  return countWrites(store.client as Redis, work);
}

export type StoreClientKind = (typeof storeClients)[number];

/**
 * The setup every per-operation file shares: a server for the file, its clients per kind
 * (`useStoreClients`), and `freshOn(kind)`, which makes a store with a prefix of its own
 * (`<prefix><n>:`) so tests in one file never see each other's keys.
 */
export function useFreshStores(prefix: string) {
  const redis = useRedis();
  const clients = useStoreClients(redis);
  let n = 0;
  const freshOn =
    (kind: StoreClientKind) =>
    (options: Partial<SessionStoreOptions> = {}): SessionStore =>
      new SessionStore({ client: clients(kind), prefix: `${prefix}${++n}:`, ...options });
  return { redis, clients, freshOn };
}

/** Counts a failed command by its message with the numbers (ports, ids, timings) taken out: the failover tests' summary. */
export function tallyError(errors: Map<string, number>, error: unknown): void {
  const message = String((error as Error).message)
    .replace(/\d+/g, 'N')
    .slice(0, 120);
  errors.set(message, (errors.get(message) ?? 0) + 1);
}

/** `; errors: {...}` for a failover summary line, or nothing when no command failed. */
export function errorSummary(errors: Map<string, number>): string {
  return errors.size ? `; errors: ${JSON.stringify(Object.fromEntries(errors))}` : '';
}

/**
 * What a store lists (listUserSessions, ids, index members) for these session ids: their handles
 * (hashed ids, the default), or the ids themselves on a store with `hashIds: false`.
 */
export function handles(store: { sessionHandle(id: string): string }, ...ids: string[]): string[] {
  return ids.map((id) => store.sessionHandle(id));
}
