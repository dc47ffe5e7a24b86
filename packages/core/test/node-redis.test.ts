import { createClient, createClientPool, RESP_TYPES } from 'redis';
import { createClient as createClient6 } from 'redis6';
import { afterAll, describe, expect, it } from 'vitest';
import { hashId, RedisOperationError, SessionKitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { freePort, NodeRedisClients, nodeRedisVariants, runStoreCompliance, type NodeRedisSingle, type TestSession } from '@sessionkit/testing';
import { checkRaceRound, complianceTarget, raceLogins, signInAnnsDevices, sleep, useRedis } from './helpers.js';

/**
 * The store on node-redis (the `redis` package), single node: v5 at its default RESP2 and v6 at
 * its default RESP3, each through the same suites the ioredis client runs. An ioredis client
 * (`redis.client()`) is only the test's own window on Redis (PTTL, ZRANGE, CLIENT KILL).
 */

const redis = useRedis();
const extra = new NodeRedisClients();
afterAll(() => extra.closeAll());
let n = 0;

/** A node-redis client typed as the store's option wants it (v6's classes are not v5's). */
const asClient = (client: unknown) => client as SessionStoreOptions['client'];

async function expectConfigError(work: () => unknown, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await work();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SessionKitError);
  expect((caught as SessionKitError).code).toBe('ERR_CONFIG');
  expect((caught as Error).message).toMatch(message);
}

describe.each(nodeRedisVariants)('$name, single node', (variant) => {
  const client = () => redis.nodeRedis(variant);
  const fresh = async (options: Partial<SessionStoreOptions> = {}, c?: NodeRedisSingle) =>
    new SessionStore({ client: asClient(c ?? (await client())), prefix: `nr${++n}:`, ...options });

  runStoreCompliance(`core FrameworkStore on ${variant.name}`, async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: asClient(await client()), touchAfter: 0 })),
  );

  it(`speaks RESP${variant.RESP} to the server (so this is not the other variant again)`, async () => {
    const c = await client();
    expect(await c.sendCommand(['CLIENT', 'INFO'])).toMatch(new RegExp(` resp=${variant.RESP}\\b`));
    const store = await fresh({}, c);
    expect(store.redis.library).toBe('node-redis');
    expect(store.redis.cluster).toBe(false);
    expect(store.client).toBe(c);
  });

  it('set, get, touch and destroy with millisecond TTLs on Redis', async () => {
    const store = await fresh({ ttl: 60_000 });
    const admin = redis.client();
    const set = await store.set('a', { cart: [1, 'é'] }, { userId: 'ann', meta: { ua: 'x' } });
    expect(set).toMatchObject({ stored: true, version: 1 });
    const key = store.keys.session('a');
    expect(await admin.pttl(key)).toBeGreaterThan(59_000);
    expect(await store.get('a')).toMatchObject({ data: { cart: [1, 'é'] }, userId: 'ann', meta: { ua: 'x' } });
    expect(Number.isFinite(store.clockOffset)).toBe(true);

    const expiresAt = await store.touch('a', { ttl: 120_000, userId: 'ann' });
    expect(expiresAt).toBeGreaterThan(set.expiresAt!);
    expect(await admin.pttl(key)).toBeGreaterThan(119_000);
    expect(await store.touch('never-set')).toBeNull();

    expect((await store.set('short', { n: 1 }, { ttl: 150 })).stored).toBe(true);
    await sleep(300);
    expect(await store.get('short')).toBeNull();
    expect((await store.set('gone', { n: 1 }, { ttl: 0 })).stored).toBe(false);

    expect(await store.destroy('a', { userId: 'ann' })).toBe(true);
    expect(await store.get('a')).toBeNull();
    expect(await store.set('a', { again: true })).toEqual({ stored: false, reason: 'revoked' });
    expect(await store.countUserSessions('ann')).toBe(0);
    expect(await store.destroy('never-set')).toBe(false);
  });

  it('the per-user index: listing, owner changes, revoking one device, logout-everywhere in chunks', async () => {
    const store = await fresh({ revokeChunkSize: 2 });
    const admin = redis.client();
    await signInAnnsDevices(store);
    expect(await store.countUserSessions('ann')).toBe(5);

    // An owner change moves the session between indexes, whatever owner the caller believed.
    await store.set('p5', { n: 5 }, { userId: 'bob', previousUserId: 'carl' });
    expect((await admin.zrange(store.keys.index('bob'), 0, -1)).sort()).toEqual([store.sessionHandle('bob-1'), store.sessionHandle('p5')].sort());
    expect(await store.countUserSessions('ann')).toBe(4);

    // 3 to revoke in chunks of 2: the first chunk in the start script, the rest in a batch.
    expect(await store.invalidateAllUserSessions('ann', { except: 'p1' })).toBe(3);
    expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual([store.sessionHandle('p1')]);
    for (const id of ['p2', 'p3', 'p4']) expect(await store.get(id)).toBeNull();
    expect(await store.set('p2', { n: 1 }, { userId: 'ann' })).toEqual({ stored: false, reason: 'revoked' });

    // ZSCORE answers a double on RESP3 and a string on RESP2: membership reads the same either way.
    expect(await store.revokeUserSession('ann', 'p5')).toBe(false);
    expect(await store.revokeUserSession('bob', 'p5')).toBe(true);
    expect(await store.revokeUserSession('bob', 'p1')).toBe(false);
    expect(await store.countUserSessions('bob')).toBe(1);
  });

  it('maxSessionsPerUser evicts the oldest, and reports them', async () => {
    const store = await fresh({ maxSessionsPerUser: 2 });
    const evicted: string[] = [];
    store.on('evict', ({ idHashes }) => evicted.push(...idHashes));
    await store.set('m1', {}, { userId: 'max', ttl: 10_000 });
    await store.set('m2', {}, { userId: 'max', ttl: 20_000 });
    await store.set('m3', {}, { userId: 'max', ttl: 30_000 });
    expect(evicted).toEqual([hashId('m1')]);
    expect((await store.listUserSessions('max')).map((s) => s.id).sort()).toEqual([store.sessionHandle('m2'), store.sessionHandle('m3')].sort());
  });

  it('ids, all, length and clear SCAN with TIME and SCAN replies as node-redis gives them', async () => {
    const store = await fresh();
    for (let i = 0; i < 30; i++) await store.set(`s${i}`, { i }, { userId: i % 2 ? 'odd' : 'even' });
    await store.destroy('s0');
    expect(await store.length()).toBe(29);
    expect((await store.ids()).sort()).toEqual(Array.from({ length: 29 }, (_, i) => store.sessionHandle(`s${i + 1}`)).sort());
    expect((await store.all()).map((r) => (r.data as { i: number }).i).sort((a, b) => a - b)).toEqual(Array.from({ length: 29 }, (_, i) => i + 1));
    expect(await store.clear()).toBeGreaterThanOrEqual(29 + 2);
    expect(await store.length()).toBe(0);
    expect(await store.countUserSessions('odd')).toBe(0);
  });

  it('a key of the wrong type or an unreadable value is reported and treated as absent', async () => {
    const store = await fresh();
    const admin = redis.client();
    const corrupt: string[] = [];
    store.on('corrupt', (_error, { idHash }) => corrupt.push(idHash));
    await admin.rpush(store.keys.session('list'), 'x');
    await admin.set(store.keys.session('junk'), '\u0001not a record');
    expect(await store.get('list')).toBeNull();
    expect(await store.get('junk')).toBeNull();
    expect(corrupt).toEqual([hashId('list'), hashId('junk')]);
  });

  it('reloads its scripts after SCRIPT FLUSH, for single calls and for batches', async () => {
    const store = await fresh({ revokeChunkSize: 2 });
    const admin = redis.client();
    await store.set('f1', {}, { userId: 'flush' });
    await admin.script('FLUSH');
    expect((await store.set('f2', {}, { userId: 'flush' })).stored).toBe(true);
    for (let i = 3; i <= 8; i++) await store.set(`f${i}`, {}, { userId: 'flush' });
    await admin.script('FLUSH');
    // The start script runs by EVAL; the chunk batch gets NOSCRIPT, loads the script and retries.
    expect(await store.invalidateAllUserSessions('flush')).toBe(8);
    expect(await store.countUserSessions('flush')).toBe(0);
  });

  it("keeps the protocol's reply types whatever typeMapping the app gave its client", async () => {
    const c = await client();
    const mapped = c.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.DOUBLE]: String });
    const store = await fresh({}, mapped as unknown as NodeRedisSingle);
    await store.set('tm', { n: 1 }, { userId: 'typed' });
    expect(await store.get('tm')).toMatchObject({ data: { n: 1 }, userId: 'typed' });
    expect((await store.listUserSessions('typed')).map((s) => s.id)).toEqual([store.sessionHandle('tm')]);
    expect(await store.revokeUserSession('typed', 'tm')).toBe(true);
  });

  it('tells connection changes through the seam: down when the connection is killed, up when node-redis is back', async () => {
    const c = await client();
    const store = await fresh({}, c);
    const seen: boolean[] = [];
    const stop = store.redis.onConnectionChange((up) => seen.push(up));
    const id = await c.sendCommand(['CLIENT', 'ID']);
    await redis.client().client('KILL', 'ID', String(id));
    const deadline = Date.now() + 10_000;
    while (!(seen.includes(false) && seen.at(-1) === true) && Date.now() < deadline) await sleep(20);
    stop();
    expect(seen).toEqual([false, true]);
    // And the store works on the reconnected client.
    expect((await store.set('after-kill', {})).stored).toBe(true);
  });

  it('a failing command surfaces as ERR_REDIS with the cause; a closed client too', async () => {
    const c = await client();
    const store = await fresh({}, c);
    await c.close();
    const failure = await store.get('x').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(RedisOperationError);
    expect((failure as RedisOperationError).code).toBe('ERR_REDIS');
    expect((failure as RedisOperationError).cause).toBeInstanceOf(Error);
  });

  /**
   * node-redis's `commandOptions.timeout` (v6: 5 s by default) bounds the time a command waits to
   * be WRITTEN (the offline queue while reconnecting), not the wait for its reply: a Redis that
   * accepts connections and stops answering is not bounded by it (see docs/reliability.md).
   */
  it("node-redis's command timeout bounds a store call while Redis is unreachable (ERR_REDIS)", async () => {
    const port = await freePort();
    const create = (variant.major === 6 ? createClient6 : createClient) as unknown as typeof createClient;
    const c = create({ RESP: variant.RESP, socket: { host: '127.0.0.1', port, reconnectStrategy: () => 50 }, commandOptions: { timeout: 200 } });
    c.on('error', () => {});
    const connecting = c.connect().catch(() => undefined);
    try {
      const store = await fresh({}, c as unknown as NodeRedisSingle);
      const failure = await store.get('queued').then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(RedisOperationError);
      expect((failure as RedisOperationError).code).toBe('ERR_REDIS');
      expect((failure as Error).message).toMatch(/SessionKit get failed: \w*Timeout/);
      expect(((failure as RedisOperationError).cause as Error).constructor.name).toBe('TimeoutError');
    } finally {
      c.destroy();
      await connecting;
    }
  });

  /**
   * As in invalidate.test.ts on ioredis: three app clients keep logging one user in, a fourth
   * runs logout-everywhere in the middle. Times are performance.now() in this process: a write
   * acknowledged before the call began was executed before it, and one sent after its reply came
   * back was executed after it.
   */
  it('race: logins while logout-everywhere runs leave no earlier session alive and no unindexed survivor (x4)', async () => {
    const admin = await fresh();
    const options = { prefix: admin.options.prefix };
    const writers = await Promise.all(Array.from({ length: 3 }, async () => new SessionStore({ client: asClient(await client()), ...options })));
    const totals = { revoked: 0, inFlightAcks: 0, survivors: 0 };
    for (let round = 0; round < 4; round++) {
      const user = `racer-${round}`;
      const pre = Array.from({ length: 20 }, (_, i) => `pre-${round}-${i}`);
      await Promise.all(pre.map((id, i) => writers[i % 3]!.set(id, { pre: true }, { userId: user })));
      const logins = raceLogins(writers, user, round);
      await sleep(5 + round * 3);
      const began = performance.now();
      totals.revoked += await admin.invalidateAllUserSessions(user);
      const ended = performance.now();
      await sleep(6);
      await logins.stop();
      const { alive, stored } = await checkRaceRound(admin, { pre, acks: logins.acks, began, ended });
      const indexed = await redis.client().zrange(admin.keys.index(user), 0, -1);
      expect(indexed.sort()).toEqual([...alive].map((id) => admin.sessionHandle(id)).sort());
      expect(await admin.invalidateAllUserSessions(user)).toBe(alive.size);
      totals.survivors += alive.size;
      totals.inFlightAcks += stored.filter(([, a]) => a.sent < ended && a.at > began).length;
    }
    expect(totals.revoked).toBeGreaterThan(0);
    expect(totals.inFlightAcks).toBeGreaterThan(0);
    console.log(`[race ${variant.name}] x4: ${JSON.stringify(totals)}`);
  });
});

describe('node-redis client checks', () => {
  it('a client that was never connected is refused at construction, saying what to do', async () => {
    for (const create of [createClient, createClient6 as unknown as typeof createClient]) {
      const c = create({ socket: { host: redis.server.host, port: redis.server.port } });
      await expectConfigError(() => new SessionStore({ client: asClient(c) }), /node-redis client \(createClient\) is not connected: call client\.connect\(\)/);
      await expectConfigError(() => new FrameworkStore({ client: asClient(c) }), /is not connected/);
    }
  });

  it('a client connecting but not ready yet is accepted: its commands wait for the connection', async () => {
    const c = createClient({ socket: { host: redis.server.host, port: redis.server.port } });
    c.on('error', () => {});
    const connecting = c.connect();
    try {
      const store = new SessionStore({ client: asClient(c), prefix: 'early:' });
      expect((await store.set('early', { n: 1 })).stored).toBe(true);
      expect(await store.get('early')).toMatchObject({ data: { n: 1 } });
    } finally {
      await connecting;
      await c.close();
    }
  });

  it("node-redis 6's keyPrefix is refused (the scripts build keys the client would not prefix)", async () => {
    const c = createClient6({ socket: { host: redis.server.host, port: redis.server.port }, keyPrefix: 'app:' });
    c.on('error', () => {});
    await c.connect();
    try {
      await expectConfigError(() => new SessionStore({ client: asClient(c) }), /keyPrefix "app:".*store's prefix and indexPrefix/);
    } finally {
      await c.close();
    }
  });

  it('anything else is refused with the supported clients and what was passed', async () => {
    await expectConfigError(
      () => new SessionStore({ client: asClient({ get() {}, set() {} }) }),
      /ioredis.*node-redis client \(createClient, createCluster or createSentinel.*got a plain object \(with get, set\)/,
    );
    await expectConfigError(() => new SessionStore({ client: asClient(new Map()) }), /got an instance of Map/);
    await expectConfigError(() => new SessionStore({ client: asClient('redis://localhost') }), /got string/);
    await expectConfigError(() => new SessionStore({} as SessionStoreOptions), /needs \{ client \}.*node-redis/);
  });

  it('a createClientPool works as a single node', async () => {
    const pool = createClientPool({ socket: { host: redis.server.host, port: redis.server.port } }, { minimum: 2 });
    pool.on('error', () => {});
    await pool.connect();
    try {
      const store = new SessionStore({ client: asClient(pool), prefix: 'pool:' });
      expect(store.redis.cluster).toBe(false);
      await Promise.all(['a', 'b', 'c'].map((id) => store.set(id, { id }, { userId: 'pooled' })));
      expect(await store.countUserSessions('pooled')).toBe(3);
      expect(await store.invalidateAllUserSessions('pooled', { except: 'a' })).toBe(2);
      expect(await store.get('a')).toMatchObject({ data: { id: 'a' } });
      expect(await store.get('b')).toBeNull();
      const stop = store.redis.onConnectionChange(() => {});
      stop();
    } finally {
      await pool.close();
    }
  });

  it('two stores, one on each client, on the same keys read each other', async () => {
    const viaIoredis = new SessionStore({ client: redis.client(), prefix: 'both:' });
    const viaNodeRedis = new SessionStore({ client: asClient(await extra.client(nodeRedisVariants[1]!, redis.server)), prefix: 'both:' });
    await viaIoredis.set('shared', { from: 'ioredis' }, { userId: 'both' });
    expect(await viaNodeRedis.get('shared')).toMatchObject({ data: { from: 'ioredis' }, userId: 'both' });
    await viaNodeRedis.set('shared', { from: 'node-redis' }, { userId: 'both' });
    expect(await viaIoredis.get('shared')).toMatchObject({ data: { from: 'node-redis' } });
    expect(await viaIoredis.invalidateAllUserSessions('both')).toBe(1);
    expect(await viaNodeRedis.get('shared')).toBeNull();
  });
});
