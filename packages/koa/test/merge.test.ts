import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import session from 'koa-session';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrentSaves, expectEveryChangeKept, useRedisCluster } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/koa';
import { KEYS, sleep, useRedis } from './helpers.js';

/**
 * Concurrent requests on one session keep each other's changes under koa-session: 40 requests at
 * once, each setting its own key, one deleting a key, over real HTTP, on a single node and on a
 * real cluster. koa-session drops keys starting with "_" from what it saves, so the version a
 * request loaded travels beside its session (by Koa context) rather than in it: this is the test
 * that it does.
 */

const WRITERS = 40;
const redis = useRedis();
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
const servers: ReturnType<Koa['listen']>[] = [];
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function mergeApp(store: RedisStore, rolling: boolean): Promise<string> {
  const app = new Koa();
  app.keys = KEYS;
  app.use(session({ store, maxAge: 3_600_000, rolling }, app));
  app.use(async (ctx) => {
    const data = ctx.session as unknown as Record<string, unknown>;
    const [, route, arg] = ctx.path.split('/');
    if (ctx.method === 'POST' && route === 'login') {
      Object.assign(data, { userId: arg, doomed: 'to be deleted' });
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && route === 'keys') {
      // Hold every request between its load and its save, so that all of them load before any saves.
      await sleep(150);
      data[arg!] = `v${arg!.slice(1)}`;
      ctx.body = { ok: true };
    } else if (ctx.method === 'POST' && route === 'drop') {
      await sleep(150);
      delete data[arg!];
      ctx.body = { ok: true };
    } else {
      ctx.body = ctx.session!.toJSON();
    }
  });
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Signs in; the Cookie header for koa-session's cookie and its signature. */
async function signIn(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/login/${user}`, { method: 'POST' });
  await response.text();
  return response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
}

describe('concurrent saves over HTTP (koa-session)', () => {
  it(`single node, rolling: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge1:' });
    const url = await mergeApp(store, true);
    const { keys, status } = await concurrentSaves(url, await signIn(url, 'ann'), WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'ann');
  });

  it(`single node, not rolling: the same`, async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge2:' });
    const url = await mergeApp(store, false);
    const { keys, status } = await concurrentSaves(url, await signIn(url, 'cid'), WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'cid');
  });

  it(`cluster: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: await cluster.client(), prefix: 'merge3:' });
    const url = await mergeApp(store, true);
    const { keys, status } = await concurrentSaves(url, await signIn(url, 'bob'), WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'bob');
  });
});
