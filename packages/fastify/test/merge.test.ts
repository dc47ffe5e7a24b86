import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrentSaves, expectEveryChangeKept, useRedisCluster } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/fastify';
import { SECRET, sleep, useRedis } from './helpers.js';

/**
 * Concurrent requests on one session keep each other's changes under @fastify/session (whose
 * rolling default saves every request): 40 requests at once, each setting its own key, one
 * deleting a key, over real HTTP, on a single node and on a real cluster.
 */

const WRITERS = 40;
const redis = useRedis();
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
const apps: FastifyInstance[] = [];
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

async function mergeApp(store: RedisStore): Promise<string> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, store, cookie: { secure: false, maxAge: 3_600_000 } });
  const data = (request: { session: unknown }) => request.session as Record<string, unknown> & { get?: unknown };
  app.post<{ Params: { user: string } }>('/login/:user', async (request) => {
    Object.assign(data(request), { userId: request.params.user, doomed: 'to be deleted' });
    return { ok: true };
  });
  // Hold every request between its load and its save, so that all of them load before any saves.
  app.post<{ Params: { key: string } }>('/keys/:key', async (request) => {
    await sleep(150);
    data(request)[request.params.key] = `v${request.params.key.slice(1)}`;
    return { ok: true };
  });
  app.post<{ Params: { key: string } }>('/drop/:key', async (request) => {
    await sleep(150);
    delete data(request)[request.params.key];
    return { ok: true };
  });
  app.get('/keys', async (request) => JSON.parse(JSON.stringify(request.session)));
  apps.push(app);
  return app.listen({ port: 0, host: '127.0.0.1' });
}

async function signIn(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/login/${user}`, { method: 'POST' });
  await response.text();
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('concurrent saves over HTTP (@fastify/session)', () => {
  it(`single node: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge1:' });
    const url = await mergeApp(store);
    const { keys, status } = await concurrentSaves(url, await signIn(url, 'ann'), WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'ann');
  });

  it(`cluster: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: await cluster.client(), prefix: 'merge2:' });
    const url = await mergeApp(store);
    const { keys, status } = await concurrentSaves(url, await signIn(url, 'bob'), WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'bob');
  });
});
