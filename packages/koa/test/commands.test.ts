import { describe, expect, it } from 'vitest';
import { formatCounts, useCommandFigures } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/koa';
import { Client, countCommands, startApp, useRedis } from './helpers.js';

const redis = useRedis();

describe('Redis commands per request under koa-session 7', () => {
  // Redis round trips per request, measured with MONITOR on the same redis-server.
  const { figures, perRequest, requests: REQUESTS } = useCommandFigures(redis, { labelWidth: 52 });

  it("rolling: true: an unchanged session costs one read (koa-session's changed: false), a changed one read + one write script", async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'roll:' });
    const server = await startApp(store, { session: { maxAge: 86_400_000, rolling: true } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });

      const unchanged = await perRequest('unchanged session, rolling: true', browser, 'GET', '/me');
      expect(unchanged).toBeGreaterThanOrEqual(1);
      expect(unchanged).toBeLessThanOrEqual(1.1);
      // Every response still re-sends the cookie with a fresh expiry (that is what rolling is).
      expect(browser.lastSetCookie.some((c) => c.startsWith('koa.sess='))).toBe(true);

      expect(await perRequest('modified session, rolling: true', browser, 'POST', '/view')).toBe(2);
      expect((await browser.get('/me')).json.views).toBe(REQUESTS);
    } finally {
      await server.close();
    }
  });

  it('rolling: true with touchAfter: 0: every unchanged save slides the expiry, read + one touch script', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'roll0:', touchAfter: 0 });
    const server = await startApp(store, { session: { maxAge: 86_400_000, rolling: true } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      expect(await perRequest('unchanged session, rolling: true, touchAfter: 0', browser, 'GET', '/me')).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('rolling: false (the default): an unchanged session costs one read and no write', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'still:' });
    const server = await startApp(store, { session: { maxAge: 86_400_000 } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      expect(await perRequest('unchanged session, rolling: false', browser, 'GET', '/me')).toBe(1);
      expect(await perRequest('modified session, rolling: false', browser, 'POST', '/view')).toBe(2);
    } finally {
      await server.close();
    }
  });

  // legacyKeys (the default) costs one command more per destroy (the plain-id key too) and per new
  // session (its plain-id copy retired); false once `sessionkit migrate` has moved every session.
  it.each([
    [true, [5, 6, 4]],
    [false, [3, 4, 3]],
  ])('sign-in (change, then regenerate) and logout-everywhere, as docs/koa.md counts them (legacyKeys: %s)', async (legacyKeys, expected) => {
    const store = new RedisStore({ client: redis.client(), prefix: `auth-${legacyKeys}:`, legacyKeys });
    const server = await startApp(store, { session: { maxAge: 86_400_000, rolling: true } });
    try {
      const browser = new Client(server.url);
      const first = await countCommands(redis, async () => {
        await browser.post('/login', { user: 'alice' });
      });
      figures['sign-in, no session before'] = formatCounts(first);
      const again = await countCommands(redis, async () => {
        await browser.post('/login', { user: 'alice' });
      });
      figures['sign-in over a loaded session'] = formatCounts(again);
      const out = await countCommands(redis, async () => {
        await browser.post('/logout-everywhere');
      });
      figures['ctx.logoutEverywhere()'] = formatCounts(out);
      // destroy (the id koa-session made up for the visitor) + set + set; with a loaded session, get first.
      // logoutEverywhere: get + the invalidate script + destroy of this session.
      expect([first.total, again.total, out.total]).toEqual(expected);
    } finally {
      await server.close();
    }
  });

  it('a session changed and saved with ctx.session.save() (koa-session says changed: false) is still written', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'forced:' });
    const server = await startApp(store, { session: { maxAge: 86_400_000, rolling: true } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'alice' });
      const { total } = await countCommands(redis, async () => {
        await browser.post('/save', { note: 'written' });
      });
      expect(total).toBeGreaterThanOrEqual(2);
      expect((await store.get(browser.sid!))?.note).toBe('written');
    } finally {
      await server.close();
    }
  });
});
