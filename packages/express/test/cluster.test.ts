import { promisify } from 'node:util';
import express from 'express';
import type { SessionData } from 'express-session';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreCompliance, startRedisCluster, type RedisCluster, type TestSession } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/express';
import { Agent, listen, sessionApp, type ExpressFactory, type Running } from './helpers.js';

/**
 * The express-session RedisStore on a real Redis Cluster, as the README shows it:
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

runStoreCompliance('@sessionkit/express RedisStore on a Redis Cluster (callback API, promisified)', async () => {
  const store = new RedisStore({ client: await newClient(), prefix: 'compliance:', touchAfter: 0 });
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

describe('express-session over real HTTP on a Redis Cluster', () => {
  let store: RedisStore;
  let app: Running;

  beforeAll(async () => {
    store = new RedisStore({ client: await newClient(), prefix: 'http:' });
    app = await listen(sessionApp(express as unknown as ExpressFactory, store));
  });
  afterAll(async () => {
    await app?.close();
    store?.close();
  });

  it('two browsers of one user: list them, sign out the other one, keep the current one', async () => {
    const [laptop, phone, bystander] = [new Agent(app.url), new Agent(app.url), new Agent(app.url)];
    await laptop.json('POST', '/login/ivy');
    await phone.json('POST', '/login/ivy');
    await bystander.json('POST', '/login/jack');
    expect(laptop.sid).toBeDefined();
    expect(phone.sid).toBeDefined();
    expect(store.client).toBeInstanceOf(Cluster);

    const listed = (await laptop.json<{ id: string }[]>('GET', '/sessions')).body;
    expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid, phone.sid].sort());

    expect((await laptop.json('POST', '/logout-others')).body.revoked).toBe(1);
    expect((await phone.json('GET', '/me')).body.userId).toBeNull();
    expect((await laptop.json('GET', '/me')).body.userId).toBe('ivy');
    expect((await bystander.json('GET', '/me')).body.userId).toBe('jack');
    expect((await laptop.json<{ id: string }[]>('GET', '/sessions')).body.map((s) => s.id)).toEqual([laptop.sid]);
    expect(await store.countUserSessions('ivy')).toBe(1);
  });
});
