import { Cluster } from 'ioredis';
import { Cluster as Cluster6 } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeUserId, SessionLimitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { FrameworkStore, keySlot } from '@sessionkit/core/toolkit';
import {
  adminCommand,
  NodeRedisClients,
  parseInfo,
  runStoreCompliance,
  sessionHandle,
  startRedisCluster,
  testClients,
  type ClusterAddress,
  type ClusterNodeInfo,
  type NodeRedisCluster,
  type RedisCluster,
  type TestClient,
  type TestSession,
} from '@sessionkit/testing';
import { groupByMaster } from '../src/client/index.js';
import { complianceTarget, countWritesEach, sleep, errorSummary, tallyError } from './helpers.js';

/**
 * The store on a real Redis Cluster: 3 masters, 3 replicas, node timeout 1000 ms. One cluster
 * for the whole file; each test uses its own key prefix. Each behaviour test runs once per client
 * (ioredis 5 `Cluster`, node-redis 5 and 6 `createCluster`), and raw inspection goes through the
 * file's ioredis client. The failover tests run last, on ioredis and on node-redis 6, each
 * killing a different master (the first leaves its shard without a replica). node-redis 5
 * refreshes its slot map only on MOVED/ASK, so it does not find a promoted replica by itself
 * (redis/node-redis#2806); node-redis 6 also refreshes when a node keeps reconnecting
 * (`topologyRefreshOnReconnectionAttemptStrategy`, 5 s by default). See docs/operations.md.
 */

let cluster: RedisCluster;
/** The file's ioredis client: the ioredis store client, and raw inspection for every client. */
let client: Cluster;
let masters: ClusterNodeInfo[];
let prefixCount = 0;
const nodeRedis = new NodeRedisClients();
/** One connected node-redis client per major, made on first use. */
const shared = new Map<string, NodeRedisCluster>();
type StoreClient = SessionStoreOptions['client'];

function newClient(): Cluster {
  return new Cluster(cluster.startupNodes, {
    // A dead master's commands are retried every 250 ms (up to maxRedirections times) while a replica takes over.
    retryDelayOnFailover: 250,
    retryDelayOnClusterDown: 250,
    maxRedirections: 24,
    slotsRefreshTimeout: 2000,
    redisOptions: { connectTimeout: 2000 },
  });
}

/** A new connected cluster client of the given kind (close it with disconnect, or leave it to afterAll for node-redis). */
async function connect(kind: TestClient): Promise<StoreClient> {
  if (kind.library === 'node-redis') {
    return (await nodeRedis.cluster(kind, cluster.startupNodes, { socket: { connectTimeout: 2000 } })) as unknown as StoreClient;
  }
  const fresh = newClient();
  await new Promise<void>((resolve, reject) => {
    fresh.once('ready', resolve);
    fresh.once('error', reject);
  });
  return fresh;
}

async function disconnect(made: StoreClient): Promise<void> {
  if (made instanceof Cluster) await made.quit().catch(() => made.disconnect());
  else await (made as unknown as NodeRedisCluster).close().catch(() => {});
}

/** A store with a key prefix of its own on the given client. */
function storeOn<T = unknown>(on: StoreClient, options: Partial<SessionStoreOptions> = {}): SessionStore<T> {
  return new SessionStore<T>({ client: on, prefix: `c${++prefixCount}:`, revokedTtl: 60_000, ...options });
}

/** The file's client of the given kind: the ioredis one, or one node-redis client per major. */
async function clientOf(kind: TestClient): Promise<StoreClient> {
  if (kind.library === 'ioredis') return client;
  let made = shared.get(kind.name);
  if (!made) {
    made = (await connect(kind)) as unknown as NodeRedisCluster;
    shared.set(kind.name, made);
  }
  return made as unknown as StoreClient;
}

/** Port of the master serving a key, from the slot map read at the start (before any failover). */
function masterOf(key: string): number {
  const slot = keySlot(key);
  const owner = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
  if (!owner) throw new Error(`no master for slot ${slot}`);
  return owner.port;
}

function countBy<T>(items: T[], key: (item: T) => number): Map<number, number> {
  const counts = new Map<number, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

async function keysOnNode(node: ClusterAddress, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await adminCommand<[string, string[]]>(node, 'SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

/** `calls=12,usec=...,rejected_calls=0,failed_calls=0` -> { calls: 12, ... } */
function parseStat(value: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (value ?? '').split(',')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeout: 1000 });
  client = (await connect(testClients[0]!)) as Cluster;
  masters = await cluster.masters();
  expect(masters).toHaveLength(3);
});

afterAll(async () => {
  await client?.quit().catch(() => client.disconnect());
  await nodeRedis.closeAll();
  await cluster?.dispose();
});

describe.each(testClients)('$name on a Redis Cluster (3 masters, 3 replicas)', (kind) => {
  let storeClient: StoreClient;
  beforeAll(async () => {
    storeClient = await clientOf(kind);
  });
  const makeStore = <T = unknown>(options: Partial<SessionStoreOptions> = {}) => storeOn<T>(storeClient, options);

  runStoreCompliance(
    kind.library === 'ioredis' ? 'core FrameworkStore on a Redis Cluster (3 masters, 3 replicas)' : `core FrameworkStore on a ${kind.name} cluster client`,
    async () => complianceTarget(new FrameworkStore<TestSession>({ client: await clientOf(kind), prefix: `compliance${kind.tag}:`, touchAfter: 0 })),
  );

  it("hashed ids (the default): a session's key is its handle's, on the master of that key's slot; the cluster holds the id nowhere; a plain-id session still reads, moves and is revoked", async () => {
    const store = makeStore<{ n: number }>();
    const id = 'hashed-on-a-cluster-session-id-0001';
    await store.set(id, { n: 1 }, { userId: 'hugo' });
    const key = store.keys.session(id);
    expect(key).toBe(`${store.options.prefix}${sessionHandle(id)}`);
    const home = masters.find((m) => m.port === masterOf(key))!;
    expect(await keysOnNode(home, `${store.keys.prefix}*`)).toContain(key);
    for (const m of masters) expect(await keysOnNode(m, `*${id}*`)).toEqual([]);
    expect(await client.zrange(store.keys.index('hugo'), 0, -1)).toEqual([sessionHandle(id)]);

    // Written before the switch (plain id, in whichever slot that key has): read there, moved to its
    // hashed key (another slot) by its next save, and reached by logout-everywhere.
    const plain = makeStore<{ n: number }>({ prefix: store.options.prefix, hashIds: false });
    const old = 'plain-on-a-cluster-session-id-0001';
    await plain.set(old, { n: 0 }, { userId: 'hugo' });
    expect((await store.get(old))?.data).toEqual({ n: 0 });
    expect((await store.set(old, { n: 2 }, { userId: 'hugo' })).stored).toBe(true);
    expect(await client.exists(store.keys.session(old))).toBe(1);
    expect(await client.get(store.keys.legacySession(old))).toMatch(/^!/);
    expect((await store.listUserSessions('hugo')).map((s) => s.id).sort()).toEqual([sessionHandle(id), sessionHandle(old)].sort());
    expect(await store.invalidateAllUserSessions('hugo')).toBe(2);
    expect(await store.get(id)).toBeNull();
    expect(await store.get(old)).toBeNull();
  });

  it('sets, gets, touches and destroys, with the session and its index on different masters', async () => {
    const store = makeStore<{ n: number }>();
    expect(store.redis).toMatchObject({ library: kind.library, cluster: true });
    // Pick an id whose key lives on another master than alice's index, so every write spans two nodes.
    const index = store.keys.index(encodeUserId('alice'));
    let sid = 'sid-0';
    for (let i = 0; masterOf(store.keys.session(sid)) === masterOf(index); i++) sid = `sid-${i}`;

    const written = await store.set(sid, { n: 1 }, { userId: 'alice', meta: { ua: 'test' }, ttl: 60_000 });
    expect(written.stored).toBe(true);
    const record = await store.get(sid);
    expect(record).toMatchObject({ id: sid, data: { n: 1 }, userId: 'alice', meta: { ua: 'test' } });
    expect(await store.countUserSessions('alice')).toBe(1);
    expect((await store.listUserSessions('alice')).map((s) => s.id)).toEqual([store.sessionHandle(sid)]);

    await sleep(5);
    const expiresAt = await store.touch(sid, { ttl: 120_000 });
    expect(expiresAt).toBeGreaterThan(record!.expiresAt);
    expect((await store.get(sid))!.expiresAt).toBe(expiresAt);
    const [listed] = await store.listUserSessions('alice');
    expect(listed!.expiresAt).toBe(expiresAt);

    // A rewrite keeps createdAt and the meta.
    await store.set(sid, { n: 2 }, { userId: 'alice' });
    expect(await store.get(sid)).toMatchObject({ data: { n: 2 }, createdAt: record!.createdAt, meta: { ua: 'test' } });

    expect(await store.destroy(sid)).toBe(true);
    expect(await store.get(sid)).toBeNull();
    expect(await store.countUserSessions('alice')).toBe(0);
    expect(await store.destroy(sid)).toBe(false);
    // The tombstone refuses a late write-back of the destroyed id, and the index stays clean.
    expect(await store.set(sid, { n: 3 }, { userId: 'alice' })).toEqual({ stored: false, reason: 'revoked' });
    expect(await store.countUserSessions('alice')).toBe(0);
    expect(await store.touch(sid)).toBeNull();

    // Anonymous sessions and a ttl <= 0.
    expect((await store.set('anon', { n: 4 })).stored).toBe(true);
    expect((await store.get('anon'))!.userId).toBeUndefined();
    expect(await store.set('anon', { n: 5 }, { ttl: 0 })).toEqual({ stored: false, reason: 'expired' });
    expect(await store.get('anon')).toBeNull();
  });

  it('revokeUserSession revokes only a session the named user owns', async () => {
    const store = makeStore();
    await store.set('mine', { a: 1 }, { userId: 'u1' });
    await store.set('theirs', { a: 2 }, { userId: 'u2' });
    expect(await store.revokeUserSession('u1', 'theirs')).toBe(false);
    expect(await store.get('theirs')).not.toBeNull();
    expect(await store.countUserSessions('u2')).toBe(1);
    expect(await store.revokeUserSession('u1', 'mine')).toBe(true);
    expect(await store.get('mine')).toBeNull();
    expect(await store.listUserSessions('u1')).toEqual([]);
    expect(await store.set('mine', { a: 3 }, { userId: 'u1' })).toMatchObject({ stored: false, reason: 'revoked' });
    expect(await store.revokeUserSession('u1', 'never-existed')).toBe(false);
  });

  it('moves a session between indexes when its owner changes, and out of them when it becomes anonymous', async () => {
    const store = makeStore();
    await store.set('s', { v: 1 }, { userId: 'before' });
    await store.set('s', { v: 2 }, { userId: 'after' });
    expect(await store.countUserSessions('before')).toBe(0);
    expect((await store.listUserSessions('after')).map((s) => s.id)).toEqual([store.sessionHandle('s')]);
    expect((await store.get('s'))!.userId).toBe('after');
    // The old owner's logout-everywhere can no longer reach it.
    expect(await store.invalidateAllUserSessions('before')).toBe(0);
    expect(await store.get('s')).not.toBeNull();
    await store.set('s', { v: 3 }, { userId: null });
    expect(await store.countUserSessions('after')).toBe(0);
    expect((await store.get('s'))!.userId).toBeUndefined();
    expect(await store.invalidateAllUserSessions('after')).toBe(0);
    expect((await store.get('s'))!.data).toEqual({ v: 3 });
  });

  it('handles user ids with braces, colons, glob characters and non-ASCII', async () => {
    const store = makeStore();
    const weird = ['a{b}:c*?[x] é', '{}', '}{', '*', 'idx:sess:{x}', '用户', 42];
    for (const [i, user] of weird.entries()) {
      await store.set(`w${i}-a`, { i }, { userId: user });
      await store.set(`w${i}-b`, { i }, { userId: user });
    }
    for (const [i, user] of weird.entries()) {
      expect((await store.get(`w${i}-a`))!.userId).toBe(String(user));
      expect(await store.countUserSessions(user)).toBe(2);
      expect((await store.listUserSessions(user)).map((s) => s.id).sort()).toEqual([`w${i}-a`, `w${i}-b`].map((id) => store.sessionHandle(id)).sort());
    }
    // The braces of the encoded id never reach the key: the index key's hash tag is the whole encoded id.
    const encoded = encodeUserId('a{b}:c*?[x] é');
    expect(encoded).not.toMatch(/[{}:*?[\]\s]/);
    expect(await client.exists(store.keys.index(encoded))).toBe(1);
    expect(keySlot(store.keys.index(encoded))).toBe(keySlot(store.keys.draining(encoded)));

    expect(await store.invalidateAllUserSessions('a{b}:c*?[x] é', { except: 'w0-b' })).toBe(1);
    expect(await store.get('w0-a')).toBeNull();
    expect(await store.get('w0-b')).not.toBeNull();
    for (let i = 1; i < weird.length; i++) expect(await store.countUserSessions(weird[i]!)).toBe(2);
    expect(await store.revokeUserSession('a{b}:c*?[x] é', 'w0-b')).toBe(true);
    expect(await store.countUserSessions('a{b}:c*?[x] é')).toBe(0);
  });

  it('invalidateAllUserSessions revokes every session but the excepted ones, across masters', async () => {
    const store = makeStore();
    const ids = Array.from({ length: 60 }, (_, i) => `all-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: 'carol' })));
    await store.set('other-user', { x: 1 }, { userId: 'dave' });
    expect(countBy(ids, (id) => masterOf(store.keys.session(id))).size).toBe(3);

    const events: unknown[] = [];
    store.on('invalidate', (e) => events.push(e));
    expect(await store.invalidateAllUserSessions('carol', { except: ['all-0', 'all-1'] })).toBe(58);
    expect(events).toEqual([{ userId: 'carol', count: 58 }]);
    expect((await store.listUserSessions('carol')).map((s) => s.id).sort()).toEqual(['all-0', 'all-1'].map((id) => store.sessionHandle(id)).sort());
    const left = await Promise.all(ids.map((id) => store.get(id)));
    expect(
      left
        .filter(Boolean)
        .map((r) => r!.id)
        .sort(),
    ).toEqual(['all-0', 'all-1']);
    expect(await store.get('other-user')).not.toBeNull();
    // No draining key is left behind, and revoked ids refuse writes.
    expect(await client.exists(store.keys.draining(encodeUserId('carol')))).toBe(0);
    expect((await store.set('all-5', {}, { userId: 'carol' })).reason).toBe('revoked');
    expect(await store.invalidateAllUserSessions('carol')).toBe(2);
    expect(await store.invalidateAllUserSessions('nobody')).toBe(0);
  });

  it('maxSessionsPerUser evict-oldest revokes the oldest sessions on whichever master they live', async () => {
    const store = makeStore({ maxSessionsPerUser: 3 });
    const evicted: string[][] = [];
    store.on('evict', (e) => evicted.push(e.idHashes));
    for (let i = 0; i < 6; i++) {
      await store.set(`e${i}`, { i }, { userId: 'erin' });
      await sleep(2);
    }
    expect(await store.countUserSessions('erin')).toBe(3);
    expect((await store.listUserSessions('erin')).map((s) => s.id).sort()).toEqual(['e3', 'e4', 'e5'].map((id) => store.sessionHandle(id)).sort());
    for (let i = 0; i < 3; i++) expect(await store.get(`e${i}`)).toBeNull();
    for (let i = 3; i < 6; i++) expect(await store.get(`e${i}`)).not.toBeNull();
    expect(evicted.flat()).toHaveLength(3);
    // An evicted id cannot be written back by a request that still holds it.
    expect((await store.set('e0', { i: 0 }, { userId: 'erin' })).reason).toBe('revoked');
    expect(await store.countUserSessions('erin')).toBe(3);
  });

  it('maxSessionsPerUser reject refuses a new session and writes nothing', async () => {
    const store = makeStore({ maxSessionsPerUser: 2, sessionLimitPolicy: 'reject' });
    await store.set('r1', {}, { userId: 'rita' });
    await store.set('r2', {}, { userId: 'rita' });
    await expect(store.set('r3', {}, { userId: 'rita' })).rejects.toBeInstanceOf(SessionLimitError);
    expect(await store.get('r3')).toBeNull();
    expect(await store.countUserSessions('rita')).toBe(2);
    // Rewriting an existing session is not a new session.
    expect((await store.set('r1', { again: true }, { userId: 'rita' })).stored).toBe(true);
    await store.destroy('r2');
    expect((await store.set('r3', {}, { userId: 'rita' })).stored).toBe(true);
  });

  it('ids, all, length and clear cover every master', async () => {
    const store = makeStore<{ i: number }>();
    const ids = Array.from({ length: 90 }, (_, i) => `scan-${i}`);
    await Promise.all(ids.map((id, i) => store.set(id, { i }, i % 3 === 0 ? { userId: `scan-user-${i % 4}` } : {})));
    const perMaster = countBy(ids, (id) => masterOf(store.keys.session(id)));
    expect([...perMaster.keys()].sort()).toEqual(masters.map((m) => m.port).sort());
    for (const m of masters) {
      expect((await keysOnNode(m, `${store.keys.prefix}*`)).length).toBe(perMaster.get(m.port));
    }
    // A tombstone is not a session.
    await store.destroy('scan-0');
    const live = ids.slice(1);
    expect((await store.ids()).sort()).toEqual(live.map((id) => store.sessionHandle(id)).sort());
    expect(await store.length()).toBe(89);
    const all = await store.all();
    expect(all.map((r) => r.data.i).sort((a, b) => a - b)).toEqual(live.map((id) => Number(id.slice(5))).sort((a, b) => a - b));

    const removed = await store.clear();
    expect(removed).toBeGreaterThanOrEqual(90); // 89 sessions, 1 tombstone, the user indexes
    expect(await store.length()).toBe(0);
    for (const m of masters) {
      expect(await keysOnNode(m, `${store.keys.prefix}*`)).toEqual([]);
      expect(await keysOnNode(m, `${store.keys.indexPrefix}*`)).toEqual([]);
    }
  });

  it('groups keys by the master that serves them: one batch per master, no MOVED', async () => {
    const store = makeStore();
    const keys = Array.from({ length: 300 }, (_, i) => store.keys.session(`g-${i}`));
    if (!store.redis.cluster) throw new Error('expected a cluster client');
    const groups = groupByMaster(store.redis, keys);
    expect(groups.has(undefined)).toBe(false);
    expect(groups.size).toBe(3);
    expect(store.redis.masters()).toHaveLength(3);
    for (const [node, group] of groups) {
      const replies = await node!.sendAll(group.map((key) => ['PTTL', key]));
      // A key sent to a master that does not own its slot would come back as a MOVED error.
      expect(replies.filter((reply) => reply instanceof Error)).toEqual([]);
      expect(replies.every((reply) => reply === -2)).toBe(true);
    }
  });

  it('the per-user index across masters: listing, revoking one device, logout-everywhere, the caps', async () => {
    const store = makeStore({ revokeChunkSize: 25 });
    const ids = Array.from({ length: 60 }, (_, i) => `u-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: 'many', meta: { id } })));
    expect(new Set(ids.map((id) => masterOf(store.keys.session(id)))).size).toBe(3);
    const listed = await store.listUserSessions('many');
    expect(listed.map((s) => s.id).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
    expect(await store.revokeUserSession('someone-else', 'u-1')).toBe(false);
    expect(await store.revokeUserSession('many', 'u-1')).toBe(true);
    expect(await store.invalidateAllUserSessions('many', { except: 'u-0' })).toBe(58);
    expect((await store.listUserSessions('many')).map((s) => s.id)).toEqual([store.sessionHandle('u-0')]);
    const left = await Promise.all(ids.map((id) => store.get(id)));
    expect(left.filter(Boolean).map((r) => r!.id)).toEqual(['u-0']);
    expect((await store.set('u-2', {}, { userId: 'many' })).reason).toBe('revoked');

    const evicting = makeStore({ maxSessionsPerUser: 2 });
    for (const [i, id] of ['e1', 'e2', 'e3'].entries()) await evicting.set(id, {}, { userId: 'capped', ttl: 10_000 * (i + 1) });
    expect((await evicting.listUserSessions('capped')).map((s) => s.id).sort()).toEqual(['e2', 'e3'].map((id) => evicting.sessionHandle(id)).sort());
    expect(await evicting.get('e1')).toBeNull();

    const strict = makeStore({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await strict.set('one', {}, { userId: 'z' });
    await expect(strict.set('two', {}, { userId: 'z' })).rejects.toBeInstanceOf(SessionLimitError);
    expect(await strict.get('two')).toBeNull();
  });

  it('ids, all, length and clear SCAN every master', async () => {
    const store = makeStore();
    const ids = Array.from({ length: 40 }, (_, i) => `scan-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: `owner-${Number(id.slice(5)) % 4}` })));
    expect((await store.ids()).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
    expect(await store.length()).toBe(40);
    expect((await store.all()).length).toBe(40);
    expect(await store.clear()).toBeGreaterThanOrEqual(40 + 4);
    expect(await store.length()).toBe(0);
    for (const node of cluster.startupNodes) {
      const [, left] = await adminCommand<[string, string[]]>(node, 'SCAN', '0', 'MATCH', `${store.options.prefix}*`, 'COUNT', 1000);
      expect(left).toEqual([]);
    }
  });

  /**
   * Two app processes (two cluster clients): one streams logins of a user, the other runs
   * logout-everywhere in the middle of the stream. Repeated, for both cap policies.
   */
  for (const policy of ['evict-oldest', 'reject'] as const) {
    it(`race (${policy}): logins during logout-everywhere leave no session written before it began, and no unindexed survivor (x10)`, async () => {
      const prefix = `c${++prefixCount}:`;
      const options = { prefix, maxSessionsPerUser: policy === 'reject' ? 100_000 : 0, sessionLimitPolicy: policy };
      const loginClient = await connect(kind);
      try {
        const admin = new SessionStore({ client: await clientOf(kind), ...options });
        const app = new SessionStore({ client: loginClient, ...options });
        let survivorsTotal = 0;
        let revokedTotal = 0;
        for (let round = 0; round < 10; round++) {
          const user = `racer-${policy}-${round}`;
          const before = Array.from({ length: 20 }, (_, i) => `pre-${round}-${i}`);
          await Promise.all(before.map((id) => app.set(id, { pre: true }, { userId: user })));

          const acked = new Map<string, { at: number; stored: boolean }>();
          const written = new Set(before);
          // Listings name sessions by handle: back to the ids.
          const idOf = new Map(before.map((id) => [admin.sessionHandle(id), id]));
          const listedIds = async () => (await admin.listUserSessions(user)).map((s) => idOf.get(s.id) ?? s.id);
          let stop = false;
          let n = 0;
          const worker = async () => {
            while (!stop) {
              const id = `race-${round}-${n++}`;
              written.add(id);
              idOf.set(admin.sessionHandle(id), id);
              const r = await app.set(id, { round }, { userId: user });
              acked.set(id, { at: performance.now(), stored: r.stored });
            }
          };
          const listedDuringRace: string[][] = [];
          const lister = async () => {
            while (!stop) listedDuringRace.push(await listedIds());
          };
          const workers = [...Array.from({ length: 16 }, worker), lister()];
          await sleep(15 + round * 3);
          const began = performance.now();
          revokedTotal += await admin.invalidateAllUserSessions(user);
          await sleep(5);
          stop = true;
          await Promise.all(workers);

          const everyId = [...written];
          const got = await Promise.all(everyId.map((id) => admin.get(id)));
          const alive = new Set(everyId.filter((_, i) => got[i] !== null));
          // 1. Nothing whose write completed before the invalidation began survives.
          const completedBefore = [...before, ...[...acked].filter(([, a]) => a.stored && a.at < began).map(([id]) => id)];
          expect(completedBefore.filter((id) => alive.has(id))).toEqual([]);
          // 2. listUserSessions returns only sessions that exist and belong to the user...
          const listed = await listedIds();
          expect(listed.filter((id) => !alive.has(id))).toEqual([]);
          for (const l of listedDuringRace) expect(l.filter((id) => !written.has(id))).toEqual([]);
          // 3. ...and every survivor is in the index, so the next logout-everywhere reaches it.
          expect([...alive].filter((id) => !listed.includes(id))).toEqual([]);
          expect(await admin.invalidateAllUserSessions(user)).toBe(alive.size);
          const after = await Promise.all([...alive].map((id) => admin.get(id)));
          expect(after.filter(Boolean)).toEqual([]);
          survivorsTotal += alive.size;
        }
        expect(revokedTotal).toBeGreaterThan(0);
        console.log(
          `[cluster race ${kind.name} ${policy}] x10: ${revokedTotal} sessions revoked by logout-everywhere; ${survivorsTotal} logins that completed after it began survived (all indexed)`,
        );
      } finally {
        await disconnect(loginClient);
      }
    });
  }

  describe('logout-everywhere against damaged keys on a cluster (issue 22, #1 and #4)', () => {
    it('a damaged record of another owner listed in the index: every session of the user is revoked, nothing fails', async () => {
      const store = makeStore({ revokeChunkSize: 2 });
      const ids = Array.from({ length: 6 }, (_, i) => `d${i}`);
      for (const id of ids) await store.set(id, { id }, { userId: 'dan' });
      await store.set('other', {}, { userId: 'olga' });
      const key = store.keys.session('other');
      const record = (await client.get(key))!;
      await client.set(key, `~1${'X'.repeat(26)}${record.slice(28)}`, 'PX', 60_000);
      await client.zadd(store.keys.index('dan'), 1, 'other'); // the lowest score: the first chunk
      expect(await store.invalidateAllUserSessions('dan')).toBe(6);
      for (const id of ids) expect(await store.get(id)).toBeNull();
      expect(await client.exists(store.keys.index('dan'))).toBe(0);
      expect(await client.exists(store.keys.draining('dan'))).toBe(0);
    });

    it('a key of another type under the index and under its :revoking key: reported, set aside with an expiry, sessions revoked', async () => {
      const store = makeStore();
      const reports: (string | undefined)[] = [];
      store.on('corrupt', (_error, info) => reports.push(info.key));
      const index = store.keys.index('hal');
      const draining = store.keys.draining('hal');
      await client.set(index, 'not a sorted set');
      expect(await store.invalidateAllUserSessions('hal')).toBe(0);
      expect(reports).toEqual([index]);
      expect(await client.exists(index, draining)).toBe(0);
      expect(await client.pttl(`${index}:corrupt`)).toBeGreaterThan(0);
      for (const id of ['h1', 'h2']) await store.set(id, {}, { userId: 'hal' });
      await client.hset(draining, 'f', 'v');
      expect(await store.invalidateAllUserSessions('hal')).toBe(2);
      expect(reports).toEqual([index, draining]);
      expect(await store.get('h1')).toBeNull();
      expect(await client.pttl(`${draining}:corrupt`)).toBeGreaterThan(0);
    });
  });
});

describe('SessionStore on a real Redis Cluster (3 masters, 3 replicas)', () => {
  it('logs out a 5,000-session user with revocations grouped by master: no CROSSSLOT, no redirection', async () => {
    const store = storeOn(client, { revokeChunkSize: 1000 });
    const user = 'heavy-user';
    const ids = Array.from({ length: 5000 }, (_, i) => `h-${i}`);
    for (let i = 0; i < ids.length; i += 500) {
      await Promise.all(ids.slice(i, i + 500).map((id) => store.set(id, { i }, { userId: user })));
    }
    expect(await store.countUserSessions(user)).toBe(5000);
    const perMaster = countBy(ids.slice(1), (id) => masterOf(store.keys.session(id)));
    expect(perMaster.size).toBe(3);

    // The bound below: the index's master gets the start script, then per chunk ZRANGE, its own
    // revoke pipeline, the ZREM script and ZCARD; every other master one pipeline per chunk.
    // Revoking one session per write would need about 1,666 writes per master.
    const chunks = Math.ceil(4999 / store.options.revokeChunkSize);
    const indexMaster = masterOf(store.keys.index(encodeUserId(user)));
    const bound = (port: number) => (port === indexMaster ? 1 + 4 * chunks : chunks);
    for (const m of masters) expect(perMaster.get(m.port)!).toBeGreaterThan(10 * bound(m.port));
    const nodes = client.nodes('master');
    expect(nodes.map((n) => n.options.port).sort()).toEqual(masters.map((m) => m.port).sort());

    await Promise.all(masters.map((m) => adminCommand(m, 'CONFIG', 'RESETSTAT')));
    const started = performance.now();
    const { writes, result: revoked } = await countWritesEach(nodes, () => store.invalidateAllUserSessions(user, { except: 'h-0' }));
    const ms = performance.now() - started;
    expect(revoked).toBe(4999);
    // Batched per master: socket writes per master connection follow the chunks, not the sessions.
    nodes.forEach((node, i) => {
      expect(writes[i]).toBeGreaterThanOrEqual(1);
      expect(writes[i]).toBeLessThanOrEqual(bound(node.options.port!));
    });

    for (const m of masters) {
      const stats = parseInfo(await adminCommand<string>(m, 'INFO', 'commandstats'));
      const errors = parseInfo(await adminCommand<string>(m, 'INFO', 'errorstats'));
      const evalsha = parseStat(stats.cmdstat_evalsha);
      const evalStat = parseStat(stats.cmdstat_eval);
      const scripts = (evalsha.calls ?? 0) + (evalStat.calls ?? 0);
      // One revocation script per session this master serves (plus, on the index's master, the index scripts).
      expect(scripts).toBeGreaterThanOrEqual(perMaster.get(m.port)!);
      expect((evalsha.failed_calls ?? 0) + (evalStat.failed_calls ?? 0) + (evalsha.rejected_calls ?? 0) + (evalStat.rejected_calls ?? 0)).toBe(0);
      expect(Object.keys(errors).filter((k) => k.startsWith('errorstat_'))).toEqual([]);
    }
    console.log(
      `[cluster] logout-everywhere of 5000 sessions over 3 masters (${[...perMaster.values()].join('/')}): ${ms.toFixed(0)} ms, ` +
        `socket writes per master ${writes.join('/')} (${chunks} chunks)`,
    );
    expect(await store.countUserSessions(user)).toBe(1);
    const sample = await Promise.all(ids.slice(0, 200).map((id) => store.get(id)));
    expect(sample.filter(Boolean).map((r) => r!.id)).toEqual(['h-0']);
    expect(await store.length()).toBe(1);
    await store.clear();
  });
});

describe('an ioredis 6 Cluster client', () => {
  let six: Cluster6;
  // Typed as ioredis 5's Cluster, which the store's types name: two copies of ioredis sit side by side here.
  const asCluster = () => six as unknown as Cluster;

  beforeAll(async () => {
    six = new Cluster6(cluster.startupNodes, { redisOptions: { connectTimeout: 2000 } });
    await new Promise<void>((resolve, reject) => {
      six.once('ready', resolve);
      six.once('error', reject);
    });
  });
  afterAll(async () => {
    await six?.quit().catch(() => six.disconnect());
  });

  runStoreCompliance('core FrameworkStore on an ioredis 6 Cluster client', async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: asCluster(), prefix: 'compliance6:', touchAfter: 0 })),
  );

  it("lists a user's sessions and logs out everywhere but one, one pipeline per master", async () => {
    const store = new SessionStore({ client: asCluster(), prefix: `c${++prefixCount}:` });
    const ids = Array.from({ length: 60 }, (_, i) => `six-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: 'six-user', meta: { id } })));
    expect(countBy(ids, (id) => masterOf(store.keys.session(id))).size).toBe(3);
    const listed = await store.listUserSessions('six-user');
    expect(listed.map((s) => s.id).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
    expect(listed.find((s) => s.id === store.sessionHandle('six-7'))?.meta).toEqual({ id: 'six-7' });

    // One chunk: the index's master gets the start script, ZRANGE, its pipeline, ZREM and ZCARD;
    // the others one pipeline each. More would mean ioredis 6 nodes were not matched to slots.
    const indexMaster = masterOf(store.keys.index(encodeUserId('six-user')));
    const nodes = asCluster().nodes('master');
    const { writes, result } = await countWritesEach(nodes, () => store.invalidateAllUserSessions('six-user', { except: 'six-0' }));
    expect(result).toBe(59);
    nodes.forEach((node, i) => {
      expect(writes[i]).toBeGreaterThanOrEqual(1);
      expect(writes[i]).toBeLessThanOrEqual(node.options.port === indexMaster ? 5 : 1);
    });
    expect((await store.listUserSessions('six-user')).map((s) => s.id)).toEqual([store.sessionHandle('six-0')]);
    const left = await Promise.all(ids.map((id) => store.get(id)));
    expect(left.filter(Boolean).map((r) => r!.id)).toEqual(['six-0']);
    expect((await store.set('six-1', {}, { userId: 'six-user' })).reason).toBe('revoked');
    await store.clear();
  });
});

/**
 * Runs last: each kills a master, a different one (the first failover leaves its shard without a
 * replica). node-redis 5 is left out: it does not find a promoted replica by itself (see above).
 */
const failovers = [
  { kind: testClients[0]!, victim: 0 },
  { kind: testClients.find((c) => c.library === 'node-redis' && c.major === 6)!, victim: 1 },
];
describe.each(failovers)('failover on $kind.name (runs last: it kills a master)', ({ kind, victim: victimIndex }) => {
  it('keeps serving through a master crash with the same client, and reports acknowledged writes lost', async () => {
    // A client made now: after the first failover it learns the slot map as it is.
    const store = storeOn<{ n: number }>(kind.library === 'ioredis' ? client : await connect(kind), { ttl: 600_000 });
    const victim = masters[victimIndex]!;
    const onVictim = (id: string) => masterOf(store.keys.session(id)) === victim.port;

    const acked: string[] = [];
    let attempted = 0;
    let failed = 0;
    let reads = 0;
    let readFailures = 0;
    let n = 0;
    const errors = new Map<string, number>();
    const start = Date.now();
    let killedAt = 0;
    let firstVictimWriteAfterKill = 0;
    let stop = false;
    let slowest = 0;
    const maxRunMs = 25_000;

    const worker = async (w: number) => {
      while (!stop && Date.now() - start < maxRunMs) {
        const id = `fo-${w}-${n++}`;
        attempted++;
        const startedAt = Date.now();
        try {
          const result = await store.set(id, { n }, { userId: `fo-user-${n % 16}` });
          const took = Date.now() - startedAt;
          if (took > slowest) slowest = took;
          if (result.stored) {
            acked.push(id);
            if (killedAt && startedAt > killedAt && onVictim(id) && !firstVictimWriteAfterKill) firstVictimWriteAfterKill = Date.now();
          }
        } catch (error) {
          failed++;
          tallyError(errors, error);
          // node-redis fails at once while a node is down (no retry delay as ioredis has): do not spin.
          if (kind.library === 'node-redis') await sleep(50);
        }
        const previous = acked[acked.length - 1 - (n % 8)];
        if (previous) {
          reads++;
          await store.get(previous).catch(() => readFailures++);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));

    await sleep(700);
    const ackedBeforeKill = acked.length;
    await cluster.killMaster(victim.port);
    killedAt = Date.now();
    const failover = await cluster.waitForFailover(victim.port, killedAt);
    // Keep the stream going until writes to the promoted replica's slots have resumed, plus one second.
    while (!firstVictimWriteAfterKill && Date.now() - start < maxRunMs) await sleep(50);
    await sleep(1000);
    stop = true;
    await Promise.all(workers);

    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(firstVictimWriteAfterKill).toBeGreaterThan(0);
    // The same client serves every slot again, the promoted replica's included.
    const probe = Array.from({ length: 64 }, (_, i) => `probe-${i}`)
      .filter(onVictim)
      .slice(0, 5);
    for (const id of probe) expect((await store.set(id, { n: -1 }, { userId: 'probe' })).stored).toBe(true);
    expect(await store.countUserSessions('probe')).toBe(probe.length);

    const got = await Promise.all(acked.map((id) => store.get(id)));
    const lost = acked.filter((_, i) => got[i] === null);
    // Only the crashed master's shard can lose anything.
    expect(lost.filter((id) => !onVictim(id))).toEqual([]);
    const ackedOnVictim = acked.filter(onVictim).length;
    console.log(
      `[${kind.name} cluster failover] attempted ${attempted} writes, acknowledged ${acked.length} (${ackedOnVictim} on the killed master's slots), ` +
        `failed ${failed}, lost after acknowledgement ${lost.length}; reads ${reads} (${readFailures} failed); ` +
        `replica promoted and cluster_state:ok ${failover.ms} ms after the kill; first write to the killed shard acknowledged ` +
        `${firstVictimWriteAfterKill - killedAt} ms after the kill; slowest write ${slowest} ms; run ${Date.now() - start} ms` +
        errorSummary(errors),
    );
  }, 60_000);
});
