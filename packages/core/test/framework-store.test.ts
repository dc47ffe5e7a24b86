import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { FrameworkStore, type CookieSession } from '@sessionkit/core/toolkit';
import { sessionExpiringIn } from '@sessionkit/testing';
import { countWrites, recordData, sleep, useRedis, withRecordData } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof FrameworkStore>[0]> = {}) =>
  new FrameworkStore<CookieSession>({ client: redis.client(), prefix: `fw${++n}:`, ...options });
const clientOf = (store: FrameworkStore) => store.client as Redis;

describe('FrameworkStore (the layer both adapters share)', () => {
  it('skips a touch within touchAfter of the last refresh: an unchanged request costs only the get', async () => {
    const store = fresh({ touchAfter: 60_000 });
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u' }));
    const loaded = (await store.get('s'))!;
    const { writes } = await countWrites(clientOf(store), () => store.touch('s', sessionExpiringIn(3_600_000, { userId: 'u' })));
    expect(writes).toBe(0);
    expect(loaded.cookie!.expires).toBeTruthy();
  });

  it("a session's handle (what Redis keeps in its key) is no sid: it reads nothing and its destroy leaves the session", async () => {
    const store = fresh();
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u' }));
    const handle = store.sessionHandle('s');
    expect(await store.get(handle)).toBeNull();
    await store.destroy(handle);
    expect((await store.get('s'))?.userId).toBe('u');
  });

  it('touches when the expiry would move by touchAfter or more, or when nothing was loaded', async () => {
    const store = fresh({ touchAfter: 1000 });
    await store.set('s', sessionExpiringIn(10_000));
    await store.get('s');
    const { writes } = await countWrites(clientOf(store), () => store.touch('s', sessionExpiringIn(20_000)));
    expect(writes).toBe(1);
    const loaded = await store.get('s');
    expect(Date.parse(String(loaded!.cookie!.expires)) - Date.now()).toBeGreaterThan(15_000);
    // A touch with no get before it in this process: nothing to compare with, so it writes.
    const other = new FrameworkStore<CookieSession>({ client: clientOf(store), prefix: store.core.options.prefix, touchAfter: 1000 });
    const { writes: cold } = await countWrites(clientOf(store), () => other.touch('s', sessionExpiringIn(20_000)));
    expect(cold).toBe(1);
  });

  it('a ticket speaks for the session it was loaded for: an unchanged save of another id with it writes that id in full', async () => {
    const store = fresh({ touchAfter: 60_000 });
    const data = sessionExpiringIn(3_600_000, { userId: 'u' });
    await store.set('loaded', data);
    const { ticket } = (await store.load('loaded'))!;
    // As after koa-session's regenerate(): the context still carries the old id's ticket.
    await store.set('renamed', sessionExpiringIn(3_600_000, { userId: 'u' }), { ticket, unchanged: true });
    expect(await store.get('renamed')).toMatchObject({ userId: 'u' });
  });

  it("a request's second save carries the version its first save wrote: one round trip, no conflict to merge", async () => {
    const store = fresh();
    await store.set('twice', sessionExpiringIn(3_600_000, { userId: 'u', step: 0 }));
    const { ticket } = (await store.load('twice'))!;
    await store.set('twice', sessionExpiringIn(3_600_000, { userId: 'u', step: 1 }), { ticket });
    const { writes } = await countWrites(clientOf(store), () => store.set('twice', sessionExpiringIn(3_600_000, { userId: 'u', step: 2 }), { ticket }));
    expect(writes).toBe(1);
    expect(await store.get('twice')).toMatchObject({ step: 2 });
  });

  it("'compare' on a session with a cookie: unchanged when the data (cookie left out) serializes as loaded", async () => {
    const store = fresh({ touchAfter: 60_000 });
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u', cart: 1 }));
    const same = (await store.load('s', { compare: true }))!;
    const { writes } = await countWrites(clientOf(store), () =>
      store.set('s', sessionExpiringIn(3_600_000, { userId: 'u', cart: 1 }), { ticket: same.ticket, unchanged: 'compare' }),
    );
    expect(writes).toBe(0);
    const changed = (await store.load('s', { compare: true }))!;
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u', cart: 2 }), { ticket: changed.ticket, unchanged: 'compare' });
    expect(await store.get('s')).toMatchObject({ cart: 2 });
  });

  it('onConnectionChange reports the client going down, and nothing once stopped', async () => {
    const store = fresh();
    const client = clientOf(store);
    await client.ping();
    const seen: boolean[] = [];
    const stop = store.onConnectionChange((up) => seen.push(up));
    const ended = once(client, 'end');
    client.disconnect();
    await ended;
    expect(seen).toContain(false);
    stop();
    const count = seen.length;
    await client.connect();
    await client.ping();
    expect(seen.length).toBe(count);
  });

  it('defaults touchAfter to a tenth of the TTL, at most a minute', async () => {
    const store = fresh();
    await store.set('short', sessionExpiringIn(5_000));
    await store.get('short');
    // 5 s TTL -> 500 ms threshold; moving the expiry by ~1 s writes.
    const { writes } = await countWrites(clientOf(store), () => store.touch('short', sessionExpiringIn(6_000)));
    expect(writes).toBe(1);
  });

  it('an unchanged save (hint from the framework) costs what a throttled touch costs', async () => {
    const store = fresh({ touchAfter: 60_000 });
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u', n: 1 }));
    const loaded = (await store.get('s'))!;
    const { writes } = await countWrites(clientOf(store), () => store.set('s', loaded, { unchanged: true }));
    expect(writes).toBe(0);
    // A changed owner is never "unchanged": the index must follow.
    await store.get('s');
    const { writes: moved } = await countWrites(clientOf(store), () => store.set('s', { ...loaded, userId: 'v' }, { unchanged: true }));
    expect(moved).toBe(1);
    expect(await store.countUserSessions('v')).toBe(1);
  });

  it('a touch is visible to a later get as the refreshed cookie expiry', async () => {
    const store = fresh({ touchAfter: 0 });
    await store.set('s', sessionExpiringIn(1_000));
    const later = sessionExpiringIn(50_000);
    await store.touch('s', later);
    const loaded = await store.get('s');
    expect(Math.abs(Date.parse(String(loaded!.cookie!.expires)) - Date.parse(String(later.cookie.expires)))).toBeLessThan(50);
  });

  it('ttl as a function (seconds, as connect-redis): the cookie keeps its own expiry and a touch rewrites it', async () => {
    const store = fresh({ ttl: () => 30, touchAfter: 0 });
    const session = sessionExpiringIn(5_000);
    await store.set('f', session);
    expect(await clientOf(store).pttl(store.core.keys.session('f'))).toBeGreaterThan(25_000);
    const loaded = (await store.get('f'))!;
    expect(loaded.cookie!.expires).toBe(session.cookie.expires);
    const later = sessionExpiringIn(9_000);
    await store.touch('f', later);
    expect((await store.get('f'))!.cookie!.expires).toBe(later.cookie.expires);
  });

  it('ttl as a number applies to cookies without an expiry', async () => {
    const store = fresh({ ttl: 2 });
    await store.set('browser-session', { cookie: { expires: null, originalMaxAge: null } });
    const pttl = await clientOf(store).pttl(store.core.keys.session('browser-session'));
    expect(pttl).toBeGreaterThan(1500);
    expect(pttl).toBeLessThanOrEqual(2000);
  });

  it('disableTouch and disableTTL behave as in connect-redis', async () => {
    const noTouch = fresh({ disableTouch: true });
    await noTouch.set('a', sessionExpiringIn(10_000));
    const { writes } = await countWrites(clientOf(noTouch), () => noTouch.touch('a', sessionExpiringIn(90_000)));
    expect(writes).toBe(0);
    const noTtl = fresh({ disableTTL: true });
    await noTtl.set('b', sessionExpiringIn(10_000));
    expect(await clientOf(noTtl).pttl(noTtl.core.keys.session('b'))).toBeGreaterThan(365 * 86_400_000);
    const { writes: touchWrites } = await countWrites(clientOf(noTtl), () => noTtl.touch('b', sessionExpiringIn(90_000)));
    expect(touchWrites).toBe(0);
  });

  it('finds the owner in session.userId, then session.user.id, or with a custom lookup; meta likewise', async () => {
    const store = fresh();
    await store.set('a', sessionExpiringIn(10_000, { userId: 7 }));
    await store.set('b', sessionExpiringIn(10_000, { user: { id: 'bee' } }));
    await store.set('c', sessionExpiringIn(10_000, { user: { name: 'no id' } }));
    expect(await store.countUserSessions(7)).toBe(1);
    expect(await store.countUserSessions('bee')).toBe(1);
    expect((await store.core.get('c'))!.userId).toBeUndefined();
    const custom = fresh({ userId: (s) => s.account as string, meta: (s) => s.device as Record<string, unknown> });
    await custom.set('d', sessionExpiringIn(10_000, { account: 'acc', device: { ua: 'curl' } }));
    expect(await custom.listUserSessions('acc')).toMatchObject([{ id: custom.sessionHandle('d'), meta: { ua: 'curl' } }]);
  });

  it('treats stored data that is not an object as absent and reports it', async () => {
    const store = fresh();
    const reports: unknown[] = [];
    store.core.on('corrupt', (e) => reports.push(e));
    await clientOf(store).set(store.core.keys.session('arr'), '[1,2]');
    await clientOf(store).set(store.core.keys.session('num'), '42');
    expect(await store.get('arr')).toBeNull();
    expect(await store.get('num')).toBeNull();
    expect(reports).toHaveLength(2);
  });

  it('treats a stored session without a cookie object ({} or {"cookie":null}) as absent and reports it, unless the adapter stores none (koa)', async () => {
    const store = fresh();
    const reports: unknown[] = [];
    store.core.on('corrupt', (e) => reports.push(e));
    const values = ['{}', '{"cookie":null,"userId":"u"}', '{"cookie":"x"}', '{"cookie":[]}'];
    for (const [i, value] of values.entries()) await clientOf(store).set(store.core.keys.session(`c${i}`), value);
    for (const i of values.keys()) expect(await store.get(`c${i}`)).toBeNull();
    expect(reports).toHaveLength(values.length);
    expect((reports[0] as Error).message).toBe('stored session has no cookie object');
    // koa-session keeps no cookie in a session with maxAge 'session': the same {} is a session there.
    expect(await store.get('c0', { cookieOptional: true })).toEqual({});
    expect(await store.get('c1', { cookieOptional: true })).toBeNull();
  });

  it('passes a custom serializer (connect-redis option) to the core: the data is stored in its format, and what it cannot parse is absent and reported', async () => {
    // Reversed JSON: no JSON reader accepts it, so a working round trip proves the serializer was used both ways.
    const reversed = {
      stringify: (value: unknown) => [...JSON.stringify(value)].reverse().join(''),
      parse: (text: string) => JSON.parse([...text].reverse().join('')),
    };
    const store = fresh({ serializer: reversed, touchAfter: 0 });
    const reports: Error[] = [];
    store.core.on('corrupt', (e) => reports.push(e));
    await store.set('s', sessionExpiringIn(60_000, { userId: 'u', cart: [1, 2] }));
    const key = store.core.keys.session('s');
    const raw = recordData((await clientOf(store).get(key))!);
    expect(reversed.parse(raw)).toMatchObject({ userId: 'u', cart: [1, 2] });
    expect(() => JSON.parse(raw)).toThrow();
    await store.touch('s', sessionExpiringIn(120_000, { userId: 'u', cart: [1, 2] }));
    const loaded = (await store.get('s'))!;
    expect(loaded).toMatchObject({ userId: 'u', cart: [1, 2] });
    expect(Date.parse(String(loaded.cookie!.expires)) - Date.now()).toBeGreaterThan(100_000);
    expect((await store.all()).map((s) => s.id)).toEqual([store.sessionHandle('s')]);

    await clientOf(store).set(key, withRecordData((await clientOf(store).get(key))!, '{"cart":[1,2]}'), 'KEEPTTL'); // plain JSON: reversed, it is not
    expect(await store.get('s')).toBeNull();
    expect(reports.map((e) => (e as { code?: string }).code)).toEqual(['ERR_CORRUPT']);
  });

  it("keeps serving a session on an app server whose clock runs ahead of Redis's, its cookie expiry told on that clock", async () => {
    const store = fresh();
    await store.set('s', sessionExpiringIn(3_600_000, { userId: 'u' }));
    const expiresAt = (await store.core.get('s'))!.expiresAt;
    const realNow = Date.now.bind(Date);
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2 * 3_600_000);
    try {
      // A process with the fast clock, reading first: it learns Redis's clock beside the read.
      const other = new FrameworkStore<CookieSession>({ client: redis.client(), prefix: store.core.options.prefix });
      const loaded = await other.get('s');
      expect(loaded?.userId).toBe('u');
      // The frameworks compare the cookie's expiry with Date.now(): it must still lie ahead on this clock.
      const cookieExpiry = Date.parse(String(loaded!.cookie!.expires));
      expect(cookieExpiry - Date.now()).toBeGreaterThan(3_500_000);
      expect(Math.abs(cookieExpiry - (expiresAt + 2 * 3_600_000))).toBeLessThan(1_000);
    } finally {
      clock.mockRestore();
    }
  });

  describe("touch throttling on an app server whose clock is off by 2 minutes: it counts in Redis's time", () => {
    const realNow = Date.now.bind(Date);
    const skewed = (offset: number) => vi.spyOn(Date, 'now').mockImplementation(() => realNow() + offset);

    it('running behind, in a process that has only read: a touch due after touchAfter still happens', async () => {
      const writer = fresh();
      await writer.set('s', sessionExpiringIn(60_000));
      const before = (await writer.core.get('s'))!.expiresAt;
      const clock = skewed(-120_000);
      try {
        // Another process: it never wrote, so only the TIME sent beside its first read tells it Redis's clock.
        const reader = new FrameworkStore<CookieSession>({ client: redis.client(), prefix: writer.core.options.prefix, touchAfter: 200 });
        await reader.get('s');
        await sleep(300);
        const { writes } = await countWrites(clientOf(reader), () => reader.touch('s', sessionExpiringIn(60_000)));
        expect(writes).toBe(1);
        expect((await reader.core.get('s'))!.expiresAt).toBeGreaterThan(before);
      } finally {
        clock.mockRestore();
      }
    });

    it('running ahead: a touch within touchAfter is still skipped', async () => {
      const clock = skewed(120_000);
      try {
        const store = fresh({ touchAfter: 60_000 });
        await store.set('s', sessionExpiringIn(3_600_000));
        await store.get('s');
        const { writes } = await countWrites(clientOf(store), () => store.touch('s', sessionExpiringIn(3_600_000)));
        expect(writes).toBe(0);
      } finally {
        clock.mockRestore();
      }
    });
  });

  it('treats a connect-redis session whose cookie expired as absent', async () => {
    const store = fresh();
    const key = store.core.keys.session('old');
    await clientOf(store).set(key, JSON.stringify({ cookie: { expires: new Date(Date.now() - 1000).toISOString() } }), 'PX', 60_000);
    expect(await store.get('old')).toBeNull();
  });

  it('all() returns sessions with their id (connect-redis shape); user APIs pass through', async () => {
    const store = fresh();
    await store.set('x', sessionExpiringIn(10_000, { userId: 'u', n: 1 }));
    await store.set('y', sessionExpiringIn(10_000, { userId: 'u', n: 2 }));
    await store.set('z', sessionExpiringIn(10_000, { userId: 'w', n: 3 }));
    // Each with what names its key: the id's handle (hashed ids).
    expect((await store.all()).map((s) => [s.id, s.n]).sort()).toEqual(
      [
        [store.sessionHandle('x'), 1],
        [store.sessionHandle('y'), 2],
        [store.sessionHandle('z'), 3],
      ].sort(),
    );
    expect(await store.revokeUserSession('w', 'x')).toBe(false);
    expect(await store.revokeUserSession('u', 'x')).toBe(true);
    expect(await store.invalidateAllUserSessions('u')).toBe(1);
    expect(await store.length()).toBe(1);
    await store.destroy('z');
    expect(await store.ids()).toEqual([]);
    await store.set('q', sessionExpiringIn(10_000));
    await store.clear();
    expect(await store.length()).toBe(0);
  });

  it('passes the core options through to the store it builds', async () => {
    const store = fresh({ revokeChunkSize: 7, revokedTtl: 5_000, maxPayloadBytes: 4096, absoluteTimeout: 60_000, maxSessionsPerUser: 3 });
    expect(store.core.options).toMatchObject({ revokeChunkSize: 7, revokedTtl: 5_000, maxPayloadBytes: 4096, absoluteTimeout: 60_000, maxSessionsPerUser: 3 });
  });

  it('can wrap an existing core store', async () => {
    const core = new SessionStore<CookieSession>({ client: redis.client(), prefix: 'shared-core:' });
    const store = new FrameworkStore({ store: core });
    expect(store.core).toBe(core);
    await store.set('s', sessionExpiringIn(10_000));
    expect(await core.get('s')).not.toBeNull();
  });

  it('refuses bad options clearly', () => {
    const client = redis.client();
    expect(() => new FrameworkStore(undefined as never)).toThrow(/client/);
    expect(() => new FrameworkStore({ client, ttl: 0 })).toThrow(/ttl/);
    expect(() => new FrameworkStore({ client, ttl: 'day' as never })).toThrow(/ttl/);
    expect(() => new FrameworkStore({ client, touchAfter: -1 })).toThrow(/touchAfter/);
    expect(() => new FrameworkStore({})).toThrow(/client/);
  });

  it('a save that lands after the absolute expiry of the session it loaded is refused, not a new lifetime', async () => {
    const store = fresh({ absoluteTimeout: 1000, touchAfter: 0 }); // the shortest accepted: a shorter one is taken for a unit mistake
    await store.set('abs', sessionExpiringIn(60_000, { userId: 'u', v: 1 }));
    expect(await store.get('abs')).not.toBeNull();
    await sleep(1050); // the request runs past the absolute expiry; Redis drops the key
    // The framework renews the cookie's expiry on every request, so its ttl alone would let the write in.
    await store.set('abs', sessionExpiringIn(60_000, { userId: 'u', v: 2 }));
    expect(await store.get('abs')).toBeNull();
    expect(await store.countUserSessions('u')).toBe(0);
  });
});
