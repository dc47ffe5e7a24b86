import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '@sessionkit/fastify';
import { nodeRedisVariants, runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { Client, complianceTarget, startApp, useRedis } from './helpers.js';

/** @sessionkit/fastify on a node-redis client: the compliance suite and the HTTP flows, on both majors. */

const redis = useRedis();
const asClient = (client: unknown) => client as RedisStoreOptions['client'];
const apps: { close(): Promise<unknown> }[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describe.each(nodeRedisVariants)('$name', (variant) => {
  runStoreCompliance(`@sessionkit/fastify RedisStore on ${variant.name}`, async () =>
    complianceTarget(new RedisStore<TestSession>({ client: asClient(await redis.nodeRedis(variant)), prefix: `nr${variant.major}:`, touchAfter: 0 })),
  );

  it('signs in, lists the devices, revokes one, signs out everywhere, over HTTP', async () => {
    const client = await redis.nodeRedis(variant);
    const store = new RedisStore({ client: asClient(client), prefix: `nr-http${variant.major}:` });
    expect(store.client).toBe(client);
    const server = await startApp(store);
    apps.push(server);
    const phone = new Client(server.url);
    const laptop = new Client(server.url);
    const tablet = new Client(server.url);
    for (const device of [phone, laptop, tablet]) await device.post('/login', { user: 'erin' });
    expect((await phone.post('/view')).json.views).toBe(1);
    expect((await phone.get('/me')).json).toMatchObject({ userId: 'erin', views: 1 });
    const listed = (await phone.get('/sessions')).json as { id: string; current: boolean }[];
    expect(listed).toHaveLength(3);
    const laptopId = (await laptop.get('/me')).json.sid as string;
    expect((await phone.post('/revoke', { sid: laptopId })).json.revoked).toBe(true);
    expect((await laptop.get('/me')).json.userId).toBeNull();
    expect((await phone.post('/logout-everywhere', { keepCurrent: true })).json.count).toBe(1);
    expect((await tablet.get('/me')).json.userId).toBeNull();
    expect((await phone.get('/me')).json.userId).toBe('erin');
  });
});
