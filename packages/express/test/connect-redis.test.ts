import express from 'express';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { Agent, countCommands, sessionHandle, listen, sessionApp, total, useRedis, type ExpressFactory, type Running } from './helpers.js';

const redis = useRedis();
const N = 100;

describe('switching from connect-redis', () => {
  let before: Running; // the app as it ran with connect-redis
  let after: Running; // the same app after the one-line change
  let ours: RedisStore;

  beforeAll(async () => {
    const client = redis.client();
    before = await listen(sessionApp(express as unknown as ExpressFactory, new ConnectRedisStore({ client })));
    ours = new RedisStore({ client });
    after = await listen(sessionApp(express as unknown as ExpressFactory, ours));
  });
  afterAll(async () => {
    await before?.close();
    await after?.close();
    ours?.close();
  });

  it('logs nobody out: a session written by connect-redis reads through RedisStore, and joins the user index', async () => {
    const agent = new Agent(before.url);
    await agent.json('POST', '/login/alice');
    await agent.json('POST', '/count');
    const admin = redis.client();
    expect(await admin.type(`sess:${agent.sid}`)).toBe('string'); // connect-redis's layout

    agent.base = after.url;
    const me = await agent.json('GET', '/me');
    expect(me.body).toMatchObject({ session: true, sid: agent.sid, userId: 'alice', n: 1 });

    // The first touch rewrote it in SessionKit's layout, so logout-everywhere can reach it.
    expect((await ours.listUserSessions('alice')).map((s) => s.id)).toEqual([sessionHandle(agent.sid!)]);
    expect((await agent.json('POST', '/count')).body.n).toBe(2);
    expect((await agent.json('GET', '/me')).body.n).toBe(2);
    expect(await ours.invalidateAllUserSessions('alice')).toBe(1);
    expect((await agent.json('GET', '/me')).body.userId).toBeNull();
  });

  it('is one-way: once rewritten, connect-redis can no longer read the session (roll back before writing)', async () => {
    const agent = new Agent(after.url);
    await agent.json('POST', '/login/bob');
    agent.base = before.url;
    // connect-redis looks under the plain id; SessionKit wrote the session under its handle.
    const me = await agent.json('GET', '/me');
    expect(me.status).toBe(200);
    expect(me.body.userId ?? null).toBeNull();
  });
});

describe('read-path budget: Redis commands per request (MONITOR, the store client only)', () => {
  const figures: Record<string, number> = {};

  async function measure(label: string, makeStore: (client: ReturnType<typeof redis.client>) => import('express-session').Store, path: string, method: string) {
    const client = redis.client();
    const store = makeStore(client);
    const app = await listen(sessionApp(express as unknown as ExpressFactory, store));
    try {
      const agent = new Agent(app.url);
      await agent.json('POST', '/login/budget');
      await agent.json(method, path); // warm: scripts loaded, first touch done
      const counts = await countCommands(redis.client(), client, async () => {
        for (let i = 0; i < N; i++) expect((await agent.json(method, path)).status).toBe(200);
      });
      figures[label] = total(counts) / N;
      console.log(`${label}: ${figures[label]!.toFixed(2)} commands/request over ${N} requests`, Object.fromEntries(counts));
      return counts;
    } finally {
      await app.close();
      (store as Partial<RedisStore>).close?.();
    }
  }

  it('an unchanged session costs at most 1.1 commands per request with default options; connect-redis ~2', async () => {
    const ourCounts = await measure('SessionKit, unchanged', (client) => new RedisStore({ client, prefix: 'budget1:' }), '/me', 'GET');
    const theirCounts = await measure('connect-redis, unchanged', (client) => new ConnectRedisStore({ client, prefix: 'budget2:' }), '/me', 'GET');
    expect(figures['SessionKit, unchanged']).toBeLessThanOrEqual(1.1);
    expect(ourCounts.get('get')).toBe(N); // the read; the touch waits for touchAfter
    expect(figures['connect-redis, unchanged']).toBeGreaterThanOrEqual(1.9);
    expect(theirCounts.get('get')).toBe(N);
    expect(theirCounts.get('expire')).toBe(N);
  });

  it('a modified session costs get (GET) + one set script per request (connect-redis: GET + SET)', async () => {
    const ourCounts = await measure('SessionKit, modified', (client) => new RedisStore({ client, prefix: 'budget3:' }), '/count', 'POST');
    await measure('connect-redis, modified', (client) => new ConnectRedisStore({ client, prefix: 'budget4:' }), '/count', 'POST');
    expect(figures['SessionKit, modified']).toBe(2);
    expect(ourCounts.get('get')).toBe(N);
    expect(ourCounts.get('evalsha')).toBe(N);
    expect(figures['connect-redis, modified']).toBe(2);
  });
});
