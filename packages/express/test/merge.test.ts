import express from 'express';
import session from 'express-session';
import { afterAll, describe, expect, it } from 'vitest';
import { concurrentSaves, expectEveryChangeKept, useRedisCluster } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/express';
import { listen, SECRET, sleep, useRedis, type Running } from './helpers.js';

/**
 * Concurrent requests on one session keep each other's changes (mergeSaves, on by default):
 * 40 requests at once, each setting its own key, one deleting a key, over real HTTP, on a single
 * node and on a real cluster. With mergeSaves: false the same requests lose changes, which shows
 * the scenario really overlaps.
 */

const WRITERS = 40;
const redis = useRedis();
const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
const running: Running[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.close()));
});

async function mergeApp(store: RedisStore): Promise<Running> {
  const app = express();
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post('/login/:user', (req, res) => {
    Object.assign(req.session, { userId: req.params.user, doomed: 'to be deleted' });
    res.json({ ok: true });
  });
  // Hold every request between its load and its save, so that all of them load before any saves.
  app.post('/keys/:key', async (req, res) => {
    await sleep(150);
    (req.session as unknown as Record<string, unknown>)[req.params.key] = `v${req.params.key.slice(1)}`;
    res.json({ ok: true });
  });
  app.post('/drop/:key', async (req, res) => {
    await sleep(150);
    delete (req.session as unknown as Record<string, unknown>)[req.params.key];
    res.json({ ok: true });
  });
  app.get('/keys', (req, res) => res.json(req.session));
  const server = await listen(app);
  running.push(server);
  return server;
}

async function signIn(url: string, user: string): Promise<string> {
  const response = await fetch(`${url}/login/${user}`, { method: 'POST' });
  return response.headers.get('set-cookie')!.split(';')[0]!;
}

describe('concurrent saves over HTTP (express-session)', () => {
  it(`single node: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge1:' });
    const app = await mergeApp(store);
    const cookie = await signIn(app.url, 'ann');
    const { keys, status } = await concurrentSaves(app.url, cookie, WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'ann');
    // The owner's index holds the one session, and the merged saves kept its lifetime.
    expect((await store.listUserSessions('ann')).length).toBe(1);
  });

  it('single node, mergeSaves: false (last writer wins): the same requests lose changes', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge2:', mergeSaves: false });
    const app = await mergeApp(store);
    const cookie = await signIn(app.url, 'ann');
    const { keys } = await concurrentSaves(app.url, cookie, WRITERS);
    const kept = Array.from({ length: WRITERS }, (_, i) => keys[`k${i}`]).filter(Boolean).length;
    expect(kept).toBeLessThan(WRITERS);
  });

  it(`cluster: ${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const store = new RedisStore({ client: await cluster.client(), prefix: 'merge3:' });
    const app = await mergeApp(store);
    const cookie = await signIn(app.url, 'bob');
    const { keys, status } = await concurrentSaves(app.url, cookie, WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'bob');
    expect((await store.listUserSessions('bob')).length).toBe(1);
  });

  it('a save in flight when the user signs out everywhere never brings the session back', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'merge4:' });
    const app = await mergeApp(store);
    const cookie = await signIn(app.url, 'cid');
    const saves = concurrentSaves(app.url, cookie, 10);
    await sleep(50); // the requests have loaded the session and wait before saving
    expect(await store.invalidateAllUserSessions('cid')).toBe(1);
    const { keys } = await saves;
    expect(keys).not.toHaveProperty('userId');
    expect(await store.countUserSessions('cid')).toBe(0);
    // A request that loaded after the revocation got a fresh anonymous session; none is cid's.
    expect((await store.sessions.all()).filter((stored) => stored.userId === 'cid')).toEqual([]);
  });
});
