import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { RedisStore } from '@sessionkit/fastify';
import { describe, expect, it } from 'vitest';
import { useCommandFigures } from '@sessionkit/testing';
import { Client, sleep, startApp, useRedis } from './helpers.js';

const redis = useRedis();

describe('Redis commands per request, side by side with connect-redis@8 on ioredis', () => {
  // Redis round trips per request, measured with MONITOR on the same redis-server.
  const { perRequest } = useCommandFigures(redis, { labelWidth: 58 });

  it('defaults (rolling: true, saveUninitialized: true): an unchanged session costs one read, a changed one read + one write script', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'ours:' });
    const server = await startApp(store, { session: { cookie: { maxAge: 86_400_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      await browser.get('/me'); // the first read after a write may refresh nothing either

      const unchanged = await perRequest('SessionKit, unchanged session (rolling: true)', browser, 'GET', '/me');
      expect(unchanged).toBeLessThanOrEqual(1.1);
      expect(unchanged).toBeGreaterThanOrEqual(1);

      const changed = await perRequest('SessionKit, modified session (rolling: true)', browser, 'POST', '/view');
      expect(changed).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('with touchAfter: 0 every unchanged save slides the expiry: read + one touch script', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'ours0:', touchAfter: 0 });
    const server = await startApp(store, { session: { cookie: { maxAge: 86_400_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      const unchanged = await perRequest('SessionKit, unchanged session, touchAfter: 0', browser, 'GET', '/me');
      expect(unchanged).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('rolling: false: an unchanged session costs one read and no write', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'oursnr:' });
    const server = await startApp(store, { session: { rolling: false, cookie: { maxAge: 86_400_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      expect(await perRequest('SessionKit, unchanged session (rolling: false)', browser, 'GET', '/me')).toBe(1);
      expect(await perRequest('SessionKit, modified session (rolling: false)', browser, 'POST', '/view')).toBe(2);
      const keepalive = await perRequest('SessionKit, rolling: false + session.touch() + save()', browser, 'GET', '/keepalive');
      expect(keepalive).toBeLessThanOrEqual(1.1);
    } finally {
      await server.close();
    }
  });

  it('connect-redis@8 on the same Redis: GET + SET on every request', async () => {
    const store = new ConnectRedisStore({ client: redis.client(), prefix: 'cr:' });
    const server = await startApp(store, { session: { cookie: { maxAge: 86_400_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      expect(await perRequest('connect-redis@8, unchanged session (rolling: true)', browser, 'GET', '/me')).toBe(2);
      expect(await perRequest('connect-redis@8, modified session (rolling: true)', browser, 'POST', '/view')).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('reads sessions that connect-redis wrote: switching stores keeps users signed in', async () => {
    const client = redis.client();
    const before = await startApp(new ConnectRedisStore({ client, prefix: 'move:' }), { session: { cookie: { maxAge: 86_400_000 } } });
    const browser = new Client(before.url);
    await browser.post('/login', { user: 'mallory' });
    await before.close();

    const store = new RedisStore({ client, prefix: 'move:' });
    const after = await startApp(store, { session: { cookie: { maxAge: 86_400_000 } } });
    try {
      const moved = new Client(after.url);
      moved.cookies = browser.cookies;
      expect((await moved.get('/me')).json.userId).toBe('mallory');
      // The next write turns it into a SessionKit record, listed under its user.
      await moved.post('/view');
      expect(await store.countUserSessions('mallory')).toBe(1);
      expect((await moved.get('/me')).json).toMatchObject({ userId: 'mallory', views: 1 });
    } finally {
      await after.close();
    }
  });

  it('an anonymous session connect-redis wrote keeps sliding under SessionKit (its cookie expiry is rewritten once)', async () => {
    const client = redis.client();
    const before = await startApp(new ConnectRedisStore({ client, prefix: 'anon:' }), { session: { cookie: { maxAge: 700 } } });
    // keepLapsed: a 700 ms cookie is past what a browser can follow (Expires has whole seconds);
    // this watches the server's expiry.
    const browser = new Client(before.url, { keepLapsed: true });
    await browser.post('/view'); // anonymous: views = 1, no owner
    await before.close();

    const after = await startApp(new RedisStore({ client, prefix: 'anon:' }), { session: { cookie: { maxAge: 700 } } });
    try {
      const moved = new Client(after.url, { keepLapsed: true });
      moved.cookies = browser.cookies;
      for (let elapsed = 0; elapsed < 1400; elapsed += 200) {
        await sleep(200);
        expect((await moved.get('/me')).json.views).toBe(1);
      }
    } finally {
      await after.close();
    }
  });
});
