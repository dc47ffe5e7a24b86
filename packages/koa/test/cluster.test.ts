import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/koa';
import { expectOtherDevicesSignedOut, runStoreCompliance, useRedisCluster } from '@sessionkit/testing';
import { Client, complianceTarget, startApp } from './helpers.js';

/**
 * The koa-session RedisStore on a real Redis Cluster, as the README shows it:
 * `new RedisStore({ client })` with an ioredis `Cluster`. One cluster for the file (3 masters,
 * no replicas: nothing here fails a node over, and replicas would only slow the start).
 */

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

runStoreCompliance('@sessionkit/koa RedisStore on a Redis Cluster (as koa-session calls it)', async () =>
  complianceTarget(new RedisStore({ client: await cluster.client(), prefix: 'compliance:', touchAfter: 0 })),
);

describe('koa-session over real HTTP on a Redis Cluster', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    store = new RedisStore({ client: await cluster.client(), prefix: 'http:' });
    server = await startApp(store, { session: { maxAge: 3_600_000, rolling: true } });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function signIn(user: string): Promise<Client & { sid: string }> {
    const browser = new Client(server.url) as Client & { sid: string };
    expect((await browser.post('/login', { user })).status).toBe(200);
    return browser;
  }

  it('two browsers of one user: list them, sign out the other one, keep the current one', async () => {
    expect(store.client).toBeInstanceOf(Cluster);
    const laptop = await expectOtherDevicesSignedOut(signIn, store);

    expect((await laptop.post('/revoke', { sid: laptop.sid })).json.revoked).toBe(true);
    expect((await laptop.get('/me')).json.userId).toBeNull();
    expect(await store.countUserSessions('ivy')).toBe(0);
  });
});
