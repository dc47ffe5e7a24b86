import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreCompliance, sessionHandle, useRedisCluster } from '@sessionkit/testing';
import { Agent, complianceTarget, expectOthersSignedOut, cookiePair, flavours, makeStorage, serve, sessionApp, type Storage } from './helpers.js';

/**
 * The storage on a real Redis Cluster, as the README shows it: `createRedisSessionStorage({ client })`
 * with an ioredis `Cluster`. One cluster for the file (3 masters, no replicas: nothing here fails
 * a node over, and replicas would only slow the start).
 */
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
const flavour = flavours[0]!;

runStoreCompliance('@sessionkit/react-router on a Redis Cluster', async () =>
  complianceTarget(flavour, makeStorage(flavour, { client: await cluster.client(), prefix: 'compliance:', touchAfter: 0 })),
);

describe('React Router over real HTTP on a Redis Cluster', () => {
  let storage: Storage;
  let app: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    storage = makeStorage(flavour, { client: await cluster.client(), prefix: 'http:' });
    app = await serve(sessionApp(storage));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('two browsers of one user: list them, sign out the other one, keep the current one', async () => {
    expect(storage.core.client).toBeInstanceOf(Cluster);
    await expectOthersSignedOut([new Agent(app.url), new Agent(app.url), new Agent(app.url)], () => storage.countUserSessions('ivy'));
  });

  it('revocation wins over a commit in flight, and an owner change moves the session between indexes', async () => {
    const browser = new Agent(app.url);
    await browser.json('POST', '/login/kai');
    const header = browser.cookies.header();
    const inFlight = await storage.getSession(header);
    const id = inFlight.id;
    expect(await storage.revokeUserSession('kai', id)).toBe(true);
    inFlight.set('late', true);
    await storage.commitSession(inFlight);
    expect((await storage.getSession(header)).id).toBe('');
    expect(await storage.countUserSessions('kai')).toBe(0);

    const other = await storage.getSession(null);
    other.set('userId', 'lou');
    const setCookie = await storage.commitSession(other);
    const loaded = await storage.getSession(cookiePair(setCookie));
    loaded.set('userId', 'max');
    await storage.commitSession(loaded);
    expect(await storage.countUserSessions('lou')).toBe(0);
    expect((await storage.listUserSessions('max')).map((s) => s.id)).toEqual([sessionHandle(loaded.id)]);
  });
});
