import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect } from 'vitest';
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
  return { store };
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

/** One login of a race against logout-everywhere: when it was sent, when its reply came back, whether it was stored. */
export interface RaceAck {
  sent: number;
  at: number;
  stored: boolean;
}

/**
 * Four login workers per writer (each an app process), logging `user` in over and over with new
 * ids until `stop`: each acknowledged login in `acks`, timed with performance.now(); `onSend`
 * hears each id before its login is sent.
 */
export function raceLogins(
  writers: SessionStore[],
  user: string,
  round: number,
  onSend: (id: string) => void = () => {},
): { acks: Map<string, RaceAck>; stop(): Promise<void> } {
  const acks = new Map<string, RaceAck>();
  let stopped = false;
  let next = 0;
  const worker = async (store: SessionStore) => {
    while (!stopped) {
      const id = `race-${round}-${next++}`;
      onSend(id);
      const sent = performance.now();
      const r = await store.set(id, { round }, { userId: user });
      acks.set(id, { sent, at: performance.now(), stored: r.stored });
    }
  };
  const running = writers.flatMap((w) => Array.from({ length: 4 }, () => worker(w)));
  return {
    acks,
    stop: async () => {
      stopped = true;
      await Promise.all(running);
    },
  };
}

/**
 * Checks one round of the race on the two facts the clock gives (the logout-everywhere call ran
 * from `began` to `ended`): no session whose write was acknowledged before the call began (nor any
 * of `pre`) survives it, and no login sent after the call returned is lost, unless `evicted` (a
 * cap removed it on its own). The ids still alive, and the acknowledged stores.
 */
export async function checkRaceRound(
  admin: SessionStore,
  race: { pre: string[]; acks: Map<string, RaceAck>; began: number; ended: number; evicted?: (id: string) => boolean },
): Promise<{ alive: Set<string>; stored: [string, RaceAck][] }> {
  const { pre, acks, began, ended, evicted = () => false } = race;
  const everyId = [...pre, ...acks.keys()];
  const got = await Promise.all(everyId.map((id) => admin.get(id)));
  const alive = new Set(everyId.filter((_, i) => got[i] !== null));
  const stored = [...acks].filter(([, a]) => a.stored);
  const before = [...pre, ...stored.filter(([, a]) => a.at < began).map(([id]) => id)];
  expect(before.filter((id) => alive.has(id))).toEqual([]);
  const after = stored.filter(([id, a]) => a.sent > ended && !evicted(id)).map(([id]) => id);
  expect(after.filter((id) => !alive.has(id))).toEqual([]);
  return { alive, stored };
}

/** What a client of an ioredis-compatible library (ioredis 6, iovalkey) must have for the file to close it. */
interface Closable {
  quit(): Promise<unknown>;
  disconnect(): void;
}

/**
 * Clients of an ioredis-compatible library on the file's redis-server, typed as ioredis 5's
 * `Redis`, which the store's types name (the library's classes are its own); all closed after
 * the file. `make` gets the server's host and port, and the test's options.
 */
export function ioredisLikeClients<O extends object>(
  redis: TestRedis,
  make: (options: { host: string; port: number } & O) => Closable,
): (options?: O) => Redis {
  const clients: Closable[] = [];
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  });
  return (options = {} as O) => {
    const client = make({ host: redis.server.host, port: redis.server.port, ...options });
    clients.push(client);
    return client as unknown as Redis;
  };
}

/**
 * Ann signs in on five devices (p1 to p5, each named in its meta) and Bob on one (bob-1); Ann's
 * listing shows her five, with their meta. Her ids, and the listing.
 */
export async function signInAnnsDevices(
  store: SessionStore<{ n: number }> | SessionStore<unknown>,
): Promise<{ ids: string[]; listed: Awaited<ReturnType<SessionStore['listUserSessions']>> }> {
  const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
  for (const [i, id] of ids.entries()) await store.set(id, { n: i }, { userId: 'ann', meta: { device: id } });
  await store.set('bob-1', { n: 9 }, { userId: 'bob' });
  const listed = await store.listUserSessions('ann');
  // Listed by handle (hashed ids, the default; the id itself with hashIds off).
  expect(listed.map((s) => s.id).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
  expect(listed.find((s) => s.id === store.sessionHandle('p3'))).toMatchObject({ meta: { device: 'p3' } });
  return { ids, listed };
}

/**
 * What a store lists (listUserSessions, ids, index members) for these session ids: their handles
 * (hashed ids, the default), or the ids themselves on a store with `hashIds: false`.
 */
export function handles(store: { sessionHandle(id: string): string }, ...ids: string[]): string[] {
  return ids.map((id) => store.sessionHandle(id));
}
