import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runStoreCompliance, sessionHandle, sessionKey, useRedis } from '@sessionkit/testing';
import { createRedisSessionStorage, SessionKitError } from '@sessionkit/react-router';
import { complianceTarget, cookiePair, countCommands, flavours, makeStorage, reactRouterMajor, SECRET, type Storage } from './helpers.js';

/**
 * The storage through the real `createSessionStorage` of React Router 7 and of Remix 2
 * (@remix-run/node): every test runs once per framework.
 */
const redis = useRedis();

for (const flavour of flavours) {
  runStoreCompliance(`@sessionkit/react-router through ${flavour.name}'s createSessionStorage`, async () =>
    complianceTarget(flavour, makeStorage(flavour, { client: redis.client(), prefix: `compliance:${flavour.name}:`, touchAfter: 0 })),
  );

  describe(`createRedisSessionStorage through ${flavour.name}'s createSessionStorage`, () => {
    let client: Redis;
    let storage: Storage;
    const prefix = `rr:${flavour.name}:`;

    beforeAll(() => {
      client = redis.client();
      storage = makeStorage(flavour, { client, prefix });
    });
    beforeEach(async () => {
      await storage.core.clear();
    });

    /** A request's session, from the Set-Cookie line of the previous response (or none). */
    const load = (setCookie?: string) => storage.getSession(setCookie ? cookiePair(setCookie) : null);
    const signIn = async (userId: string, extra: Record<string, unknown> = {}) => {
      const session = await load();
      session.set('userId', userId);
      for (const [key, value] of Object.entries(extra)) session.set(key, value);
      const setCookie = await storage.commitSession(session);
      return { setCookie, id: (await load(setCookie)).id };
    };
    /** A live session under that id (a destroyed one leaves a short-lived tombstone, which is none). */
    const exists = async (id: string) => (await storage.core.get(id)) !== null;

    it('creates, reads, updates and deletes a session', async () => {
      const fresh = await load();
      expect(fresh.id).toBe('');
      fresh.set('userId', 'ann');
      fresh.set('cart', [1, { sku: 'é ✓' }]);
      const setCookie = await storage.commitSession(fresh);
      expect(setCookie).toMatch(/^__session=/);

      const read = await load(setCookie);
      expect(read.id).toMatch(/^[A-Za-z0-9_-]{32}$/); // 24 random bytes, base64url
      expect(read.data).toEqual({ userId: 'ann', cart: [1, { sku: 'é ✓' }] });
      expect(await exists(read.id)).toBe(true);

      read.set('theme', 'dark');
      read.unset('cart');
      expect(cookiePair(await storage.commitSession(read))).toBe(cookiePair(setCookie)); // same id
      expect((await load(setCookie)).data).toEqual({ userId: 'ann', theme: 'dark' });

      const cleared = await storage.destroySession(await load(setCookie));
      expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect(await exists(read.id)).toBe(false);
      const after = await load(setCookie);
      expect(after.id).toBe('');
      expect(after.data).toEqual({});
    });

    it('gives every new session its own random id', async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 50; i++) ids.add((await signIn(`u${i % 3}`)).id);
      expect(ids.size).toBe(50);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });

    it('flash data is read once: get clears it on the next commit', async () => {
      const { setCookie } = await signIn('ann');
      const first = await load(setCookie);
      first.flash('notice', 'Saved.');
      await storage.commitSession(first);

      const second = await load(setCookie);
      expect(second.has('notice')).toBe(true);
      expect(second.get('notice')).toBe('Saved.');
      await storage.commitSession(second);

      const third = await load(setCookie);
      expect(third.has('notice')).toBe(false);
      expect(third.get('notice')).toBeUndefined();
      expect(third.get('userId')).toBe('ann');
    });

    it('a cookie naming no live session gives a new session, and its commit mints a new id', async () => {
      const { setCookie, id } = await signIn('ann');
      await storage.destroySession(await load(setCookie));
      // The stale cookie comes back (another tab, a replay): the app signs someone in on it.
      const stale = await load(setCookie);
      expect(stale.id).toBe('');
      stale.set('userId', 'bob');
      const renewed = await storage.commitSession(stale);
      const fresh = await load(renewed);
      expect(fresh.id).not.toBe(id);
      expect(fresh.get('userId')).toBe('bob');
      expect(await exists(id)).toBe(false);
      expect((await storage.listUserSessions('bob')).map((s) => s.id)).toEqual([sessionHandle(fresh.id)]);
    });

    it('an id planted in a forged signed cookie is never adopted', async () => {
      const planted = await storage.commitSession(await load()); // an empty session: the attacker's own id...
      const plantedId = (await load(planted)).id;
      await storage.destroySession(await load(planted)); // ...which then ends
      const victim = await load(planted);
      victim.set('userId', 'victim');
      const after = await load(await storage.commitSession(victim));
      expect(after.id).not.toBe(plantedId);
      expect(await exists(plantedId)).toBe(false);
    });

    it('revocation wins over a commit of a session loaded before it', async () => {
      const { setCookie, id } = await signIn('ann');
      const changed = await load(setCookie); // request 1 loads...
      const unchanged = await load(setCookie); // ...and so does request 2
      expect(await storage.revokeUserSession('ann', id)).toBe(true); // meanwhile, "sign out that device"
      changed.set('theme', 'dark');
      await storage.commitSession(changed); // a changed save: refused by the tombstone
      await storage.commitSession(unchanged); // an unchanged save: only slides what is still there
      expect(await exists(id)).toBe(false);
      expect(await client.exists(sessionKey(id, prefix))).toBe(1); // the tombstone that refused both
      expect((await load(setCookie)).id).toBe('');
      expect(await storage.listUserSessions('ann')).toEqual([]);
    });

    it('a commit long after its load, once the tombstone has lapsed, still does not bring the session back', async () => {
      const brief = makeStorage(flavour, { client, prefix, revokedTtl: 200 });
      const fresh = await brief.getSession(null);
      fresh.set('userId', 'ann');
      const setCookie = await brief.commitSession(fresh);
      const changed = await brief.getSession(cookiePair(setCookie));
      const unchanged = await brief.getSession(cookiePair(setCookie));
      const id = changed.id;
      expect(await brief.revokeUserSession('ann', id)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 400)); // the request is slow; the tombstone goes
      expect(await client.exists(sessionKey(id, prefix))).toBe(0);
      changed.set('theme', 'dark');
      await brief.commitSession(changed);
      await brief.commitSession(unchanged);
      await brief.commitSession(flavour.createSession({ userId: 'ann' }, id) as never); // a session the app built itself
      expect(await client.exists(sessionKey(id, prefix))).toBe(0);
      expect(await brief.countUserSessions('ann')).toBe(0);
    });

    it("commits of slow requests (past the tombstone's cover) still merge, after checking the session is there", async () => {
      const brief = makeStorage(flavour, { client, prefix, revokedTtl: 200 });
      const fresh = await brief.getSession(null);
      fresh.set('userId', 'ann');
      const setCookie = await brief.commitSession(fresh);
      const [a, b] = await Promise.all([brief.getSession(cookiePair(setCookie)), brief.getSession(cookiePair(setCookie))]);
      await new Promise((resolve) => setTimeout(resolve, 150));
      a.set('fromA', 1);
      b.set('fromB', 2);
      await brief.commitSession(a);
      await brief.commitSession(b);
      expect((await brief.getSession(cookiePair(setCookie))).data).toEqual({ userId: 'ann', fromA: 1, fromB: 2 });
    });

    it('destroySession elsewhere wins over a later commit, and logout-everywhere over both', async () => {
      const { setCookie } = await signIn('ann');
      const inFlight = await load(setCookie);
      await storage.destroySession(await load(setCookie));
      inFlight.set('late', true);
      await storage.commitSession(inFlight);
      expect((await load(setCookie)).id).toBe('');

      const other = await signIn('ann');
      const pending = await load(other.setCookie);
      expect(await storage.invalidateAllUserSessions('ann')).toBe(1);
      pending.set('late', true);
      await storage.commitSession(pending);
      expect((await load(other.setCookie)).id).toBe('');
      expect(await storage.countUserSessions('ann')).toBe(0);
    });

    it('logout everywhere else keeps the current session and leaves other users alone', async () => {
      const laptop = await signIn('ann');
      const phone = await signIn('ann');
      const tablet = await signIn('ann');
      const bystander = await signIn('bob');
      expect(await storage.countUserSessions('ann')).toBe(3);
      expect((await storage.listUserSessions('ann')).map((s) => s.id).sort()).toEqual([laptop.id, phone.id, tablet.id].map(sessionHandle).sort());

      expect(await storage.invalidateAllUserSessions('ann', { except: laptop.id })).toBe(2);
      expect((await load(laptop.setCookie)).get('userId')).toBe('ann');
      expect((await load(phone.setCookie)).id).toBe('');
      expect((await load(tablet.setCookie)).id).toBe('');
      expect((await load(bystander.setCookie)).get('userId')).toBe('bob');
      expect((await storage.listUserSessions('ann')).map((s) => s.id)).toEqual([sessionHandle(laptop.id)]);

      expect(await storage.invalidateAllUserSessions('ann')).toBe(1);
      expect((await load(laptop.setCookie)).id).toBe('');
      expect(await storage.countUserSessions('bob')).toBe(1);
    });

    it('follows an owner change, and an anonymous session leaves the index', async () => {
      const { setCookie, id } = await signIn('ann');
      const session = await load(setCookie);
      session.set('userId', 'bob');
      await storage.commitSession(session);
      expect(await storage.listUserSessions('ann')).toEqual([]);
      expect((await storage.listUserSessions('bob')).map((s) => s.id)).toEqual([sessionHandle(id)]);
      expect(await storage.revokeUserSession('ann', id)).toBe(false); // no longer ann's to revoke

      const again = await load(setCookie);
      again.unset('userId');
      await storage.commitSession(again);
      expect(await storage.countUserSessions('bob')).toBe(0);
      expect((await load(setCookie)).data).toEqual({});
      expect(await exists(id)).toBe(true);
    });

    it('finds the owner with the userId option, and keeps meta for listings', async () => {
      const custom = createRedisSessionStorage<{ account?: { id: number }; ua?: string }>({
        client,
        prefix: `${prefix}custom:`,
        cookie: { secrets: [SECRET] },
        userId: (data) => data.account?.id,
        meta: (data) => (data.ua ? { ua: data.ua } : undefined),
        createSessionStorage: flavour.createSessionStorage as never,
      });
      const session = await custom.getSession(null);
      session.set('account', { id: 42 });
      session.set('ua', 'Firefox');
      const setCookie = await custom.commitSession(session);
      const listed = await custom.listUserSessions(42);
      expect(listed).toHaveLength(1);
      expect(listed[0]!.id).toBe(sessionHandle((await custom.getSession(cookiePair(setCookie))).id));
      expect(listed[0]!.meta).toEqual({ ua: 'Firefox' });
      await custom.core.clear();
    });

    it('finds the owner by default as every store does: userId, user.id, then passport.user; a NaN or Infinity there is no owner', async () => {
      for (const [data, owner] of [
        [{ user: { id: 7 } }, '7'],
        [{ passport: { user: 'pp' } }, 'pp'],
        [{ userId: Number.NaN, passport: { user: 'pp' } }, 'pp'],
      ] as const) {
        const session = await load();
        for (const [key, value] of Object.entries(data)) session.set(key, value);
        const { id } = await load(await storage.commitSession(session));
        expect((await storage.listUserSessions(owner)).map((s) => s.id)).toContain(sessionHandle(id));
      }
      for (const value of [Number.NaN, Number.POSITIVE_INFINITY]) {
        const session = await load();
        session.set('userId', value);
        await storage.commitSession(session);
      }
      expect(await storage.countUserSessions('NaN')).toBe(0);
      expect(await storage.countUserSessions('Infinity')).toBe(0);
    });

    it('refuses, as core does, a userId option that returns an object, NaN or Infinity: ERR_INVALID_USER_ID, nothing stored', async () => {
      for (const found of [{ id: 7 }, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
        const custom = makeStorage(flavour, { client, prefix: `${prefix}bad:`, maxSessionsPerUser: 1, userId: () => found as never });
        const session = await custom.getSession(null);
        session.set('cart', 1);
        const error = await custom.commitSession(session).catch((e: unknown) => e);
        expect(error, typeof found).toBeInstanceOf(SessionKitError);
        expect(error).toMatchObject({ code: 'ERR_INVALID_USER_ID' });
        // Not indexed under "[object Object]", "NaN" or "Infinity", where unrelated sessions would evict each other.
        expect(await custom.core.length()).toBe(0);
        for (const owner of ['[object Object]', 'NaN', 'Infinity', '-Infinity']) expect(await custom.countUserSessions(owner)).toBe(0);
      }
    });

    it("takes the TTL from the commit's expiry, and the ttl option when there is none", async () => {
      const { setCookie, id } = await signIn('ann');
      const ttlDefault = await client.pttl(sessionKey(id, prefix));
      expect(ttlDefault).toBeGreaterThan(86_400_000 - 60_000);
      expect(ttlDefault).toBeLessThanOrEqual(86_400_000);

      await storage.commitSession(await load(setCookie), { maxAge: 120 });
      const ttlMaxAge = await client.pttl(sessionKey(id, prefix));
      expect(ttlMaxAge).toBeGreaterThan(60_000);
      expect(ttlMaxAge).toBeLessThanOrEqual(120_000);

      const session = await load(setCookie);
      session.set('bye', true);
      await storage.commitSession(session, { expires: new Date(Date.now() - 1000) });
      expect(await exists(id)).toBe(false); // an expiry in the past deletes

      const short = makeStorage(flavour, { client, prefix, ttl: 90 });
      const fresh = await short.getSession(null);
      fresh.set('n', 1);
      const shortId = (await short.getSession(cookiePair(await short.commitSession(fresh)))).id;
      const ttlOption = await client.pttl(sessionKey(shortId, prefix));
      expect(ttlOption).toBeGreaterThan(30_000);
      expect(ttlOption).toBeLessThanOrEqual(90_000);

      const rolling = makeStorage(flavour, { client, prefix, cookie: { name: '__session', secrets: [SECRET], maxAge: 300 } });
      const withMaxAge = await rolling.getSession(null);
      withMaxAge.set('n', 1);
      const rollingId = (await rolling.getSession(cookiePair(await rolling.commitSession(withMaxAge)))).id;
      expect(await client.pttl(sessionKey(rollingId, prefix))).toBeGreaterThan(240_000);
      expect(await client.pttl(sessionKey(rollingId, prefix))).toBeLessThanOrEqual(300_000);
    });

    it('read path: one Redis command per request, with a commit of unchanged data on every request', async () => {
      const { setCookie } = await signIn('ann', { theme: 'dark' });
      const requests = 20;
      const commands = await countCommands(redis.client(), client, async () => {
        for (let i = 0; i < requests; i++) {
          const session = await load(setCookie);
          expect(session.get('theme')).toBe('dark');
          await storage.commitSession(session);
        }
      });
      expect(commands).toHaveLength(requests);
      // A changed commit writes again.
      const changed = await countCommands(redis.client(), client, async () => {
        const session = await load(setCookie);
        session.set('theme', 'light');
        await storage.commitSession(session);
      });
      expect(changed).toHaveLength(2);
      expect((await load(setCookie)).get('theme')).toBe('light');
    });

    it("concurrent commits of one session keep each other's changes, and a deletion stays deleted", async () => {
      const { setCookie } = await signIn('ann', { keep: 1, drop: 1 });
      const [a, b, c] = await Promise.all([load(setCookie), load(setCookie), load(setCookie)]);
      a.set('fromA', 'a');
      b.set('fromB', 'b');
      c.unset('drop');
      await storage.commitSession(a);
      await storage.commitSession(b); // loaded before a's save landed: merged, not overwritten
      await storage.commitSession(c);
      expect((await load(setCookie)).data).toEqual({ userId: 'ann', keep: 1, fromA: 'a', fromB: 'b' });
    });

    it('a request that commits twice keeps what another request saved in between', async () => {
      const { setCookie } = await signIn('ann');
      const mine = await load(setCookie);
      mine.set('first', 1);
      await storage.commitSession(mine);
      const other = await load(setCookie);
      other.set('other', true);
      await storage.commitSession(other);
      mine.set('second', 2);
      await storage.commitSession(mine);
      expect((await load(setCookie)).data).toEqual({ userId: 'ann', first: 1, other: true, second: 2 });
      expect(mine.has('__sessionkit_live__')).toBe(false); // the token never stays in the session
    });

    it('with mergeSaves: false the last commit replaces the whole session', async () => {
      const lww = makeStorage(flavour, { client, prefix, mergeSaves: false });
      const fresh = await lww.getSession(null);
      fresh.set('userId', 'ann');
      const setCookie = await lww.commitSession(fresh);
      const [a, b] = await Promise.all([lww.getSession(cookiePair(setCookie)), lww.getSession(cookiePair(setCookie))]);
      a.set('fromA', 'a');
      b.set('fromB', 'b');
      await lww.commitSession(a);
      await lww.commitSession(b);
      expect((await lww.getSession(cookiePair(setCookie))).data).toEqual({ userId: 'ann', fromB: 'b' });
    });

    it('an in-place change to a nested value counts as a change', async () => {
      const { setCookie } = await signIn('ann', { cart: { items: ['a'] } });
      const session = await load(setCookie);
      (session.get('cart') as { items: string[] }).items.push('b');
      await storage.commitSession(session);
      expect((await load(setCookie)).get('cart')).toEqual({ items: ['a', 'b'] });
    });

    it('a cookie value that cannot be an id gives a new session, not an error', async () => {
      const unsigned = makeStorage(flavour, { client, prefix, cookie: { name: '__session' } });
      const cookie = flavour.createCookie('__session', {});
      const session = await unsigned.getSession(cookiePair(await cookie.serialize('x'.repeat(5000))));
      expect(session.id).toBe('');
      const forged = await storage.getSession(cookiePair(await flavour.createCookie('__session', { secrets: ['other'] }).serialize('x')));
      expect(forged.id).toBe('');
    });

    it('destroying a session that was never committed is a no-op', async () => {
      const header = await storage.destroySession(await load());
      expect(header).toMatch(/^__session=;/);
    });
  });
}

describe('createRedisSessionStorage options', () => {
  it("runs on each framework's own createSessionStorage", () => {
    expect(flavours.map((f) => f.name)).toEqual([`react-router ${reactRouterMajor}`, '@remix-run/node 2']);
    expect(flavours[1]!.createSessionStorage).not.toBe(flavours[0]!.createSessionStorage);
  });

  it('refuses a bad ttl and missing options', () => {
    expect(() => createRedisSessionStorage(undefined as never)).toThrow(SessionKitError);
    expect(() => createRedisSessionStorage({ client: redis.client(), ttl: 0 })).toThrow(/ttl/);
  });
});
