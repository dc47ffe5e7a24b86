import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '@sessionkit/express';
import { nodeRedisVariants, runStoreCompliance } from '@sessionkit/testing';
import { complianceTarget, listen, serveThroughRedisStop, sessionApp, useRedis, type ExpressFactory } from './helpers.js';

/**
 * @sessionkit/express on a node-redis client, as connect-redis 9/10 apps hold one: the shared
 * compliance suite on both majors, and the connection events express-session relies on (the
 * fault test restarts Redis, so it runs on node-redis 5 only; ioredis has it in resiliency.test.ts).
 */

const redis = useRedis();
const asClient = (client: unknown) => client as RedisStoreOptions['client'];
const stores: RedisStore[] = [];
afterAll(() => {
  for (const store of stores) store.close();
});

for (const variant of nodeRedisVariants) {
  runStoreCompliance(`@sessionkit/express RedisStore on ${variant.name}`, async () =>
    complianceTarget(new RedisStore({ client: asClient(await redis.nodeRedis(variant)), prefix: `nr${variant.major}:`, touchAfter: 0 })),
  );
}

describe('node-redis connection state reaches express-session', () => {
  it('a stopped Redis: express-session serves without a session (disconnect event), then recovers (node-redis 5)', async () => {
    const client = await redis.nodeRedis(nodeRedisVariants[0]!, { socket: { reconnectStrategy: () => 100 } });
    const store = new RedisStore({ client: asClient(client) });
    stores.push(store);
    expect(store.client).toBe(client);
    const app = await listen(sessionApp(express as unknown as ExpressFactory, store));
    try {
      await serveThroughRedisStop(redis, store, app.url);
    } finally {
      await app.close();
    }
  });

  it('connectionEvents: false relays nothing', async () => {
    const client = await redis.nodeRedis(nodeRedisVariants[1]!);
    const store = new RedisStore({ client: asClient(client), connectionEvents: false });
    stores.push(store);
    const seen: string[] = [];
    store.on('disconnect', () => seen.push('disconnect'));
    store.on('connect', () => seen.push('connect'));
    const id = await client.sendCommand(['CLIENT', 'ID']);
    // Not events.once: it rejects on the 'error' the killed connection emits first.
    const ready = new Promise((resolve) => client.once('ready', resolve));
    await redis.client().client('KILL', 'ID', String(id));
    await ready;
    expect(seen).toEqual([]);
  });
});
