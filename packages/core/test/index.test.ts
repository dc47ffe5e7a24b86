import { describe, expect, it, vi } from 'vitest';
import { SessionLimitError, SessionStore, encodeUserId } from '@sessionkit/core';
import { handles, sleep, ioredisOf, storeClients, useFreshStores } from './helpers.js';
import { rawRecord } from './helpers.js';

const { redis, freshOn } = useFreshStores('idx');

/** Every key in Redis that mentions the user (index, draining copy), found by a raw scan. */
async function keysOfUser(store: SessionStore, userId: string): Promise<string[]> {
  const all = await ioredisOf(store).keys(`*${encodeUserId(userId)}*`);
  return all.filter((key) => key.startsWith(store.options.indexPrefix));
}

describe.each(storeClients)('per-user index on %s', (kind) => {
  const fresh = freshOn(kind);
  it('an app server whose clock runs ahead lists live sessions and leaves them in the index', async () => {
    const store = fresh();
    await store.set('a', {}, { userId: 'skew', ttl: 60_000 });
    await store.set('b', {}, { userId: 'skew', ttl: 60_000 });
    const realNow = Date.now.bind(Date);
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 120_000);
    try {
      expect((await store.listUserSessions('skew')).map((s) => s.id).sort()).toEqual(handles(store, 'a', 'b').sort());
    } finally {
      clock.mockRestore();
    }
    expect(await store.countUserSessions('skew')).toBe(2);
  });

  it('lists, counts and follows an owner change (anonymous -> A -> B -> anonymous)', async () => {
    const store = fresh();
    await store.set('s', { step: 0 });
    expect(await store.countUserSessions('A')).toBe(0);
    await store.set('s', { step: 1 }, { userId: 'A', meta: { ua: 'Safari' } });
    expect((await store.listUserSessions('A')).map((x) => x.id)).toEqual(handles(store, 's'));
    await store.set('s', { step: 2 }, { userId: 'B' });
    expect(await store.countUserSessions('A')).toBe(0);
    expect(await keysOfUser(store, 'A')).toEqual([]);
    const [listed] = await store.listUserSessions('B');
    expect(listed).toMatchObject({ id: store.sessionHandle('s'), meta: { ua: 'Safari' } });
    expect(Object.keys(listed!).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastSeenAt', 'meta']);
    await store.set('s', { step: 3 });
    expect(await store.countUserSessions('B')).toBe(0);
    expect(await keysOfUser(store, 'B')).toEqual([]);
    expect((await store.get('s'))!.userId).toBeUndefined();
  });

  it('destroy removes the index entry, and the index key with its last entry', async () => {
    const store = fresh();
    await store.set('a', {}, { userId: 'u' });
    await store.set('b', {}, { userId: 'u' });
    await store.destroy('a');
    expect((await store.listUserSessions('u')).map((s) => s.id)).toEqual(handles(store, 'b'));
    await store.destroy('b');
    expect(await keysOfUser(store, 'u')).toEqual([]);
  });

  it('prunes expired entries and leaves no key of the user once every session has expired', async () => {
    const store = fresh();
    await store.set('short-1', {}, { userId: 'gone soon', ttl: 150 });
    await store.set('short-2', {}, { userId: 'gone soon', ttl: 250 });
    await store.set('longer', {}, { userId: 'gone soon', ttl: 400 });
    const index = store.keys.index(encodeUserId('gone soon'));
    const pttl = await ioredisOf(store).pttl(index);
    expect(pttl).toBeGreaterThan(300);
    expect(pttl).toBeLessThanOrEqual(400);
    await sleep(300);
    expect(await store.countUserSessions('gone soon')).toBe(1);
    expect(await ioredisOf(store).zcard(index)).toBe(1);
    await sleep(150);
    expect(await ioredisOf(store).keys(`${store.options.prefix}*`)).toEqual([]);
    expect(await keysOfUser(store, 'gone soon')).toEqual([]);
  });

  it('index expiry shrinks when its longest-lived member leaves', async () => {
    const store = fresh();
    await store.set('long', {}, { userId: 'u', ttl: 100_000 });
    await store.set('short', {}, { userId: 'u', ttl: 1000 });
    await store.destroy('long');
    expect(await ioredisOf(store).pttl(store.keys.index('u'))).toBeLessThanOrEqual(1000);
  });

  it('listUserSessions skips and removes entries whose session is gone or owned by someone else', async () => {
    const store = fresh();
    await store.set('a', {}, { userId: 'u' });
    await store.set('b', {}, { userId: 'u' });
    await store.set('c', {}, { userId: 'u' });
    // Damage the index behind the store's back: a dangling member and a foreign one.
    await ioredisOf(store).del(store.keys.session('a'));
    await ioredisOf(store).set(store.keys.session('b'), rawRecord({ owner: 'intruder' }), 'PX', 60_000);
    expect((await store.listUserSessions('u')).map((s) => s.id)).toEqual(handles(store, 'c'));
    expect(await ioredisOf(store).zrange(store.keys.index('u'), 0, -1)).toEqual(handles(store, 'c'));
  });

  it('a Redis error while reading the sessions fails the listing and leaves the index intact', async () => {
    const store = fresh();
    await store.set('x', {}, { userId: 'v' });
    await store.set('y', {}, { userId: 'v' });
    // A client whose GETRANGE Redis refuses (NOPERM): a failure, not a sign that the session is gone.
    await redis.client().call('ACL', 'SETUSER', 'idx-no-getrange', 'on', '>pw', '~*', '&*', '+@all', '-getrange');
    const refused = new SessionStore({ client: redis.client({ username: 'idx-no-getrange', password: 'pw' }), prefix: store.options.prefix });
    await expect(refused.listUserSessions('v')).rejects.toMatchObject({ code: 'ERR_REDIS' });
    expect((await ioredisOf(store).zrange(store.keys.index('v'), 0, -1)).sort()).toEqual(handles(store, 'x', 'y').sort());
    expect((await store.listUserSessions('v')).map((s) => s.id).sort()).toEqual(handles(store, 'x', 'y').sort());
  });

  it('lists most recently seen first', async () => {
    const store = fresh();
    await store.set('old', {}, { userId: 'u' });
    await sleep(5);
    await store.set('new', {}, { userId: 'u' });
    await sleep(5);
    await store.touch('old');
    expect((await store.listUserSessions('u')).map((s) => s.id)).toEqual(handles(store, 'old', 'new'));
  });

  describe('maxSessionsPerUser', () => {
    it("'evict-oldest' revokes the sessions closest to expiry, never the one being written", async () => {
      const store = fresh({ maxSessionsPerUser: 2 });
      const evictions: { userId: string; idHashes: string[] }[] = [];
      store.on('evict', (info) => evictions.push(info));
      await store.set('s1', {}, { userId: 'u', ttl: 10_000 });
      await store.set('s2', {}, { userId: 'u', ttl: 20_000 });
      await store.set('s3', {}, { userId: 'u', ttl: 5_000 });
      expect((await store.listUserSessions('u')).map((s) => s.id).sort()).toEqual(handles(store, 's2', 's3').sort());
      expect(await store.get('s1')).toBeNull();
      expect(await store.set('s1', {}, { userId: 'u' })).toEqual({ stored: false, reason: 'revoked' });
      expect(evictions).toEqual([{ userId: 'u', idHashes: [expect.stringMatching(/^[0-9a-f]{16}$/)] }]);
      // Rewriting an existing session never counts as a new one.
      await store.set('s3', { again: true }, { userId: 'u', ttl: 1000 });
      expect((await store.listUserSessions('u')).map((s) => s.id).sort()).toEqual(handles(store, 's2', 's3').sort());
    });

    it("'reject' refuses a new session beyond the cap and writes nothing", async () => {
      const store = fresh({ maxSessionsPerUser: 2, sessionLimitPolicy: 'reject' });
      await store.set('s1', {}, { userId: 'u' });
      await store.set('s2', {}, { userId: 'u' });
      await expect(store.set('s3', {}, { userId: 'u' })).rejects.toBeInstanceOf(SessionLimitError);
      expect(await store.get('s3')).toBeNull();
      await expect(store.set('s2', { updated: true }, { userId: 'u' })).resolves.toMatchObject({ stored: true });
      await store.destroy('s1');
      await expect(store.set('s3', {}, { userId: 'u' })).resolves.toMatchObject({ stored: true });
    });

    it('expired sessions do not count towards the cap', async () => {
      const store = fresh({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
      await store.set('brief', {}, { userId: 'u', ttl: 100 });
      await sleep(150);
      await expect(store.set('next', {}, { userId: 'u' })).resolves.toMatchObject({ stored: true });
    });
  });
});
