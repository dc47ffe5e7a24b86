import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/fastify';
import { expectOtherDevicesSignedOut, runStoreCompliance, useRedisCluster, type TestSession } from '@sessionkit/testing';
import { Client, complianceTarget, startApp } from './helpers.js';

/**
 * The @fastify/session RedisStore on a real Redis Cluster, as the README shows it:
 * `new RedisStore({ client })` with an ioredis `Cluster`. One cluster for the file (3 masters,
 * no replicas: nothing here fails a node over, and replicas would only slow the start).
 */

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

runStoreCompliance('@sessionkit/fastify RedisStore on a Redis Cluster (callback API)', async () =>
  complianceTarget(new RedisStore<TestSession>({ client: await cluster.client(), prefix: 'compliance:', touchAfter: 0 })),
);

describe('@fastify/session over real HTTP on a Redis Cluster', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    store = new RedisStore({ client: await cluster.client(), prefix: 'http:' });
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
    expect(store.client).toBeInstanceOf(Cluster);
    await expectOtherDevicesSignedOut(signIn, store);
  });
});
