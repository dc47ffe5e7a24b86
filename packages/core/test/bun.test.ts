import { describe, expect, it } from 'vitest';
import { RedisOperationError, SessionKitError, SessionStore } from '@sessionkit/core';
import { FrameworkStore, toStoreClient, type CookieSession } from '@sessionkit/core/toolkit';
import {
  countCommands,
  newBunClient,
  runStoreCompliance,
  sessionExpiringIn,
  underBun,
  useRedisTls,
  type BunClient,
  type TestSession,
} from '@sessionkit/testing';
import { complianceTarget, useRedis } from './helpers.js';

/**
 * Bun's built-in RedisClient (`import { RedisClient } from 'bun'`), on the Bun runtime: this file
 * runs in the core-bun project (`npm run test:bun`), as do get, set, touch, index, invalidate and
 * merge.test.ts, whose tests then run on Bun's client (storeClients in helpers.ts). An ioredis
 * client (`redis.client()`) is only the test's own window on Redis.
 */

if (!underBun) throw new Error('bun.test.ts runs on the Bun runtime: npm run test:bun');

const redis = useRedis();
let n = 0;
const fresh = async (c?: BunClient) => new SessionStore({ client: c ?? (await redis.bun()), prefix: `bun${++n}:` });

async function rejection(work: () => Promise<unknown>): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

runStoreCompliance("core FrameworkStore on Bun's RedisClient", async () =>
  complianceTarget(new FrameworkStore<TestSession>({ client: await redis.bun(), prefix: 'bun-compliance:', touchAfter: 0 })),
);

describe("Bun's RedisClient, single node", () => {
  it('is taken for what it is, and speaks RESP3 to the server', async () => {
    const c = await redis.bun();
    const store = await fresh(c);
    expect(store.redis.library).toBe('bun');
    expect(store.redis.cluster).toBe(false);
    expect(store.client).toBe(c);
    expect(await c.send('CLIENT', ['INFO'])).toMatch(/ resp=3\b/);
  });

  it('ioredis and node-redis clients are not taken for Bun clients', async () => {
    expect(toStoreClient(redis.client()).library).toBe('ioredis');
    expect(toStoreClient(await redis.nodeRedis({ name: 'node-redis 6 (RESP3)', major: 6, RESP: 3 })).library).toBe('node-redis');
  });

  it('a read of an unchanged session is one command: GET', async () => {
    const store = new FrameworkStore<CookieSession>({ client: await redis.bun(), prefix: 'bun-read:' });
    await store.set('s', sessionExpiringIn(60_000, { userId: 'u', a: 1 }));
    let loaded: CookieSession | null = null;
    const read = await countCommands(redis, async () => {
      loaded = await store.get('s');
    });
    expect(loaded).toMatchObject({ userId: 'u', a: 1 });
    expect(read).toEqual({ total: 1, byName: { get: 1 } });
  });

  it('the server losing its scripts (SCRIPT FLUSH) is met with EVAL: NOSCRIPT reads as on the other clients', async () => {
    const store = await fresh();
    await store.set('a', { n: 1 }, { userId: 'ann' });
    await redis.client().script('FLUSH');
    expect(await store.touch('a', { userId: 'ann' })).not.toBeNull();
    expect(await store.set('b', { n: 2 }, { userId: 'ann' })).toMatchObject({ stored: true });
    await redis.client().script('FLUSH');
    // A batch (one EVALSHA per chunk after SCRIPT LOAD) meets NOSCRIPT on each entry and retries by EVAL.
    expect(await store.invalidateAllUserSessions('ann')).toBe(2);
    expect(await store.countUserSessions('ann')).toBe(0);
  });

  it('a failing command surfaces as ERR_REDIS with the cause: a closed client', async () => {
    const c = await redis.bun();
    const store = await fresh(c);
    c.close();
    const error = await rejection(() => store.get('x'));
    expect(error).toBeInstanceOf(RedisOperationError);
    expect((error as RedisOperationError).code).toBe('ERR_REDIS');
    expect((error as RedisOperationError).cause).toBeInstanceOf(Error);
  });

  it("tells connection changes through onconnect/onclose, chained with the app's own handlers", async () => {
    const c = await redis.bun();
    const app: string[] = [];
    c.onconnect = () => app.push('connect');
    c.onclose = () => app.push('close');
    const store = new FrameworkStore<CookieSession>({ client: c, prefix: 'bun-events:' });
    const told: boolean[] = [];
    const detach = store.core.redis.onConnectionChange((up) => told.push(up));
    // Bun reconnects a killed connection by itself and calls onconnect again (not onclose).
    const id = await c.send('CLIENT', ['ID']);
    await redis.client().client('KILL', 'ID', String(id));
    for (let i = 0; i < 100 && !told.includes(true); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(told).toEqual([true]);
    expect(app).toEqual(['connect']);
    expect(await c.send('PING', [])).toBe('PONG');
    detach();
    c.close();
    for (let i = 0; i < 100 && !app.includes('close'); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    // Detached: the app's handler is back in place and called; the store's relay is not.
    expect(app).toContain('close');
    expect(told).not.toContain(false);
  });

  it('onclose is told as down while attached', async () => {
    const c = await redis.bun();
    const store = new FrameworkStore<CookieSession>({ client: c, prefix: 'bun-down:' });
    const told: boolean[] = [];
    store.core.redis.onConnectionChange((up) => told.push(up));
    c.close();
    for (let i = 0; i < 100 && !told.includes(false); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(told).toEqual([false]);
  });
});

describe("Bun's RedisClient on a Redis Cluster node: refused with ERR_CONFIG", () => {
  // One node with cluster mode on, serving every slot: a session and its user's index sit in
  // different slots, so the single-node scripts get CROSSSLOT, which only a cluster answers.
  const node = useRedis(['--cluster-enabled', 'yes']);

  it('names what Bun lacks on the first reply that shows a cluster', async () => {
    await node.client().call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    const store = new SessionStore({ client: await node.bun(), prefix: 'bun-cluster:' });
    const error = await rejection(() => store.set('a', { n: 1 }, { userId: 'ann' }));
    expect(error).toBeInstanceOf(SessionKitError);
    expect((error as SessionKitError).code).toBe('ERR_CONFIG');
    expect((error as Error).message).toMatch(/Bun's RedisClient has no Redis Cluster support.*CROSSSLOT/);
  });
});

describe("Bun's RedisClient over TLS (rediss://)", () => {
  const tls = useRedisTls();

  runStoreCompliance("core FrameworkStore on Bun's RedisClient over TLS", async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: await tls.bun(), prefix: 'bun-tls:', touchAfter: 0 })),
  );

  it('a server certificate the client does not trust is refused: the operation rejects', async () => {
    // Bun's default trust store, which lacks the test CA: a client that spoke TLS and checked it.
    const untrusting = newBunClient(tls.url, { tls: true, autoReconnect: false, connectionTimeout: 2000 });
    try {
      const store = new SessionStore({ client: untrusting, prefix: 'bun-tls-bad:' });
      expect(await rejection(() => store.get('a'))).toBeInstanceOf(RedisOperationError);
    } finally {
      untrusting.close();
    }
  });
});
