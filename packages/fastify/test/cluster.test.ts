import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/fastify';
import { runStoreCompliance, startRedisCluster, type RedisCluster, type TestSession } from '@sessionkit/testing';
import { Client, startApp } from './helpers.js';

/**
 * The @fastify/session RedisStore on a real Redis Cluster, as the README shows it:
 * `new RedisStore({ client })` with an ioredis `Cluster`. One cluster for the file (3 masters,
 * no replicas: nothing here fails a node over, and replicas would only slow the start).
 */

let cluster: RedisCluster;
const clients: Cluster[] = [];

async function newClient(): Promise<Cluster> {
  const client = new Cluster(cluster.startupNodes, { redisOptions: { connectTimeout: 2000 } });
  clients.push(client);
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  return client;
}

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await cluster?.dispose();
});

/** The callback API that @fastify/session calls, promisified for the shared suite. */
function promisify<T>(call: (cb: (error?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

runStoreCompliance('@sessionkit/fastify RedisStore on a Redis Cluster (callback API)', async () => {
  const store = new RedisStore<TestSession>({ client: await newClient(), prefix: 'compliance:', touchAfter: 0 });
  return {
    store: {
      get: (id) => promisify<TestSession | null>((cb) => store.get(id, cb)),
      set: (id, s) => promisify<void>((cb) => store.set(id, s, cb)),
      destroy: (id) => promisify<void>((cb) => store.destroy(id, cb)),
      touch: (id, s) => promisify<void>((cb) => store.touch(id, s, cb)),
      ids: () => store.ids(),
      all: () => store.all(),
      length: () => store.length(),
      clear: () => store.clear(),
    },
    teardown: async () => {},
  };
});

describe('@fastify/session over real HTTP on a Redis Cluster', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    store = new RedisStore({ client: await newClient(), prefix: 'http:' });
    server = await startApp(store, { session: { cookie: { maxAge: 3_600_000 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function signIn(user: string): Promise<Client & { sid: string }> {
    const browser = new Client(server.url) as Client & { sid: string };
    browser.sid = (await browser.post('/login', { user })).json.sid;
    return browser;
  }

  it('two browsers of one user: list them, sign out the other one, keep the current one', async () => {
    const laptop = await signIn('ivy');
    const phone = await signIn('ivy');
    const bystander = await signIn('jack');
    expect(store.client).toBeInstanceOf(Cluster);

    const listed = (await laptop.get('/sessions')).json as { id: string; current: boolean }[];
    expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid, phone.sid].sort());
    expect(listed.find((s) => s.current)?.id).toBe(laptop.sid);

    expect((await laptop.post('/logout-everywhere', { keepCurrent: true })).json.count).toBe(1);
    expect((await phone.get('/me')).json.userId).toBeNull();
    expect((await laptop.get('/me')).json.userId).toBe('ivy');
    expect((await bystander.get('/me')).json.userId).toBe('jack');
    expect(((await laptop.get('/sessions')).json as { id: string }[]).map((s) => s.id)).toEqual([laptop.sid]);
    expect(await store.countUserSessions('ivy')).toBe(1);
  });
});
