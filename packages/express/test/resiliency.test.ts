import type { Redis } from 'ioredis';
import express from 'express';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { Agent, listen, serveThroughRedisStop, sessionApp, sleep, useRedis, type ExpressFactory, type Running } from './helpers.js';
import { collectUnhandledRejections, nextCallbackWarning } from '@sessionkit/testing';

const redis = useRedis();
// Fails the file if a store call nobody awaited rejected.
collectUnhandledRejections();

const app5 = (store: RedisStore) => listen(sessionApp(express as unknown as ExpressFactory, store));

describe('Redis errors reach express-session as errors, never hang', () => {
  let good: RedisStore;
  let denied: RedisStore;
  let goodApp: Running;
  let deniedApp: Running;
  let clients: { disconnect(): void }[] = [];

  beforeAll(async () => {
    const admin = redis.client();
    // A real server-side failure on every store call: a user without @scripting, nor GET (get's read).
    await admin.call('ACL', 'SETUSER', 'noscripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting', '-get');
    good = new RedisStore({ client: redis.client() });
    denied = new RedisStore({ client: redis.client({ username: 'noscripts', password: 'pw' }) });
    clients = [good.client, denied.client] as Redis[]; // both ioredis here
    goodApp = await app5(good);
    deniedApp = await app5(denied);
  });
  afterAll(async () => {
    await goodApp?.close();
    await deniedApp?.close();
    // The next block restarts Redis, which forgets the ACL user: keep these from reconnecting.
    for (const client of clients) client.disconnect();
  });

  it('a failing get gives next(err): a 500, with the store error code', async () => {
    const agent = new Agent(goodApp.url);
    await agent.json('POST', '/login/alice');
    agent.base = deniedApp.url;
    const res = await agent.json('GET', '/me');
    expect(res.status).toBe(500);
    expect(res.body).toMatchObject({ code: 'ERR_REDIS' });
    expect(res.body.error).toMatch(/NOPERM/);
  });

  it('a failing set (and destroy) during login gives a 500', async () => {
    const res = await new Agent(deniedApp.url).json('POST', '/login/alice');
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('ERR_REDIS');
  });

  it("without a callback, a failure the caller leaves unawaited goes to the store's 'error' listeners, or nowhere (no unhandled rejection)", async () => {
    void denied.destroy('some-id'); // no listener: swallowed
    const reported = once(denied, 'error');
    void denied.destroy('some-id');
    const [error] = await reported;
    expect((error as { code: string }).code).toBe('ERR_REDIS');
    await sleep(50);
  });

  it("a callback that throws is called once and reported (a process warning and the store's 'error' event), never an uncaught exception that would end the process", async () => {
    const calls: unknown[] = [];
    const warned = nextCallbackWarning();
    const reported = once(good, 'error');
    // vitest fails the run on an uncaught exception: none may happen here.
    void good.get('nope', (err, value) => {
      calls.push([err, value]);
      throw new Error('callback bug');
    });
    expect((await warned).message).toContain('callback bug');
    expect(((await reported)[0] as Error).message).toBe('callback bug');
    await sleep(20);
    expect(calls).toEqual([[null, null]]);
  });
});

describe('Redis down', () => {
  let store: RedisStore;
  let app: Running;

  beforeAll(async () => {
    // commandTimeout: a Redis that accepts connections but never answers must not hang requests.
    const client = redis.client({ commandTimeout: 500, maxRetriesPerRequest: 1 });
    client.on('error', () => {}); // reconnect failures while the server is stopped are expected
    store = new RedisStore({ client });
    app = await app5(store);
  });
  afterAll(async () => {
    await app?.close();
    redis.server.resume();
  });

  it('an unresponsive Redis (paused process) fails the request after commandTimeout, with a 500', async () => {
    const agent = new Agent(app.url);
    await agent.json('POST', '/login/alice');
    redis.server.pause();
    try {
      const started = Date.now();
      const res = await agent.json('GET', '/me');
      expect(res.status).toBe(500);
      expect(res.body.error).toMatch(/timed out/i);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      redis.server.resume();
    }
    expect((await agent.json('GET', '/me')).body.userId).toBe('alice');
  });

  it('a stopped Redis: express-session serves without a session (disconnect event), then recovers', async () => {
    // Routes that need a session fail fast, they do not wait for Redis.
    expect(await serveThroughRedisStop(redis, store, app.url)).toBeLessThan(2000);
  });
});
