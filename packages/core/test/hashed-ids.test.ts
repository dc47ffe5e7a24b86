import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sessionHandle, type SessionStore } from '@sessionkit/core';
import { ioredisOf, storeWrites, useFreshStores } from './helpers.js';

const { freshOn } = useFreshStores('hashed');
const fresh = freshOn('ioredis');
// The default now; said here so that these tests keep testing hashed ids whatever the default.
const hashed = (options = {}) => fresh({ hashIds: true, ...options });

/** A session id as express-session makes them: 24 random bytes, base64url. */
const newId = () => randomBytes(24).toString('base64url');

/** Every key under the store's prefixes, and every value: strings whole, sorted sets member and score. */
async function dump(store: SessionStore): Promise<string> {
  const redis = ioredisOf(store);
  const out: string[] = [];
  for (const pattern of [store.keys.sessionPattern(), store.keys.indexPattern()]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const type = await redis.type(key);
        out.push(key);
        if (type === 'string') out.push((await redis.get(key)) ?? '');
        else if (type === 'zset') out.push(...(await redis.zrange(key, 0, -1, 'WITHSCORES')));
        else out.push(`<${type}>`);
        // The serialized form too, where an id could hide in an encoding.
        out.push(((await redis.dump(key)) as unknown as Buffer | null)?.toString('latin1') ?? '');
      }
    } while (cursor !== '0');
  }
  return out.join('\n');
}

describe('hashed ids at rest (hashIds: true)', () => {
  it('a dump after sign-in holds the session id nowhere, in no key and no value', async () => {
    const store = hashed();
    const id = newId();
    await store.set(id, { cart: [1] }, { userId: 'alice', meta: { userAgent: 'Firefox' } });
    const second = newId();
    await store.set(second, { cart: [2] }, { userId: 'alice' });
    await store.touch(id, { userId: 'alice' });
    const everything = await dump(store);
    expect(everything).toContain(sessionHandle(id)); // the dump did read the session
    expect(everything).not.toContain(id);
    expect(everything).not.toContain(second);
  });

  it('reads a session written after the switch with one command, and a listing names it by its handle', async () => {
    const store = hashed();
    const id = newId();
    await store.set(id, { a: 1 }, { userId: 'bob' });
    await store.get(id); // warm-up: the clock's TIME
    const { writes, result } = await storeWrites(store, () => store.get(id));
    expect(result?.data).toEqual({ a: 1 });
    expect(writes).toBe(1);
    const listed = await store.listUserSessions('bob');
    expect(listed.map((s) => s.id)).toEqual([store.sessionHandle(id)]);
  });

  it('revokes by handle and by session id, evicts and logs out everywhere on hashed keys', async () => {
    const store = hashed({ maxSessionsPerUser: 3 });
    const ids = [newId(), newId(), newId(), newId()];
    // Each a millisecond further from expiry than the one before, so that "oldest" is ids[0] even
    // when all four are written within one millisecond (equal scores would be ordered by handle,
    // which is random: the test flaked that way).
    for (const [i, id] of ids.entries()) await store.set(id, { n: 1 }, { userId: 'carol', ttl: 86_400_000 + i });
    // The cap pushed the first one out.
    expect(await store.get(ids[0]!)).toBeNull();
    expect(await store.revokeUserSession('carol', store.sessionHandle(ids[1]!))).toBe(true);
    expect(await store.revokeUserSession('carol', ids[2]!)).toBe(true);
    expect(await store.revokeUserSession('mallory', store.sessionHandle(ids[3]!))).toBe(false);
    expect(await store.get(ids[1]!)).toBeNull();
    expect(await store.get(ids[2]!)).toBeNull();
    const other = newId();
    await store.set(other, { n: 2 }, { userId: 'carol' });
    expect(await store.invalidateAllUserSessions('carol', { except: other })).toBe(1);
    expect(await store.get(ids[3]!)).toBeNull();
    expect((await store.get(other))?.data).toEqual({ n: 2 });
    // A revoked id cannot be written back (tombstone on the hashed key).
    expect((await store.set(ids[3]!, { n: 3 }, { userId: 'carol' })).reason).toBe('revoked');
  });

  it('a record written before the switch (plain-id key and member) stays valid, moves on its next save, and logout-everywhere reaches it', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true });
    const redis = ioredisOf(store);
    const id = newId();
    await before.set(id, { cart: [1] }, { userId: 'dave' });
    expect(await redis.zrange(before.keys.index('dave'), 0, -1)).toEqual([id]);

    const loaded = await store.load(id);
    expect(loaded?.record.data).toEqual({ cart: [1] });
    expect(await store.listUserSessions('dave')).toHaveLength(1); // listed under its plain id until moved

    await store.set(id, { cart: [1, 2] }, { userId: 'dave', ifVersion: loaded!.record.version, createdAt: loaded!.record.createdAt, previousUserId: 'dave' });
    expect(await redis.get(store.keys.legacySession(id))).toMatch(/^!sessionkit-revoked:/);
    expect(await redis.zrange(store.keys.index('dave'), 0, -1)).toEqual([sessionHandle(id)]);
    expect((await store.get(id))?.data).toEqual({ cart: [1, 2] });
    expect((await store.get(id))?.createdAt).toBe(loaded!.record.createdAt);

    // And one never saved again: logout-everywhere reaches it under its plain id.
    const idle = newId();
    await before.set(idle, { cart: [] }, { userId: 'dave' });
    expect(await store.invalidateAllUserSessions('dave')).toBe(2);
    expect(await store.get(id)).toBeNull();
    expect(await store.get(idle)).toBeNull();
  });

  it('a connect-redis string (plain JSON under the plain id) stays readable and moves with the save that makes it a record', async () => {
    const store = hashed();
    const redis = ioredisOf(store);
    const id = newId();
    const legacyKey = store.keys.legacySession(id);
    await redis.set(legacyKey, JSON.stringify({ cookie: { originalMaxAge: 60_000 }, userId: 'erin' }), 'PX', 60_000);
    // As `sessionkit migrate` indexed it before this release: under its plain id.
    await store.indexLegacySession(id, 'erin');

    const loaded = await store.load(id);
    expect(loaded?.record.legacy).toBe(true);
    await store.set(id, { cookie: { originalMaxAge: 60_000 }, userId: 'erin' }, { userId: 'erin', ifVersion: 0 });
    expect(await redis.get(legacyKey)).toMatch(/^!sessionkit-revoked:/);
    expect(await redis.zrange(store.keys.index('erin'), 0, -1)).toEqual([sessionHandle(id)]);
    expect(await store.invalidateAllUserSessions('erin')).toBe(1);
    expect(await store.get(id)).toBeNull();
  });

  it('a save of a session revoked under its plain id after its request loaded it is refused, and leaves nothing behind', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true });
    const id = newId();
    await before.set(id, { a: 1 }, { userId: 'frank' });
    const loaded = await store.load(id);
    expect(await store.invalidateAllUserSessions('frank')).toBe(1);
    const result = await store.set(id, { a: 2 }, { userId: 'frank', ifVersion: loaded!.record.version, createdAt: loaded!.record.createdAt });
    expect(result).toMatchObject({ stored: false, reason: 'revoked' });
    expect(await store.get(id)).toBeNull();
    expect(await store.countUserSessions('frank')).toBe(0);
  });

  it('moveLegacySession moves a plain-id session with its expiry, and a second run finds nothing', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true });
    const redis = ioredisOf(store);
    const id = newId();
    await before.set(id, { a: 1 }, { userId: 'gina', ttl: 60_000 });
    expect(await store.moveLegacySession(id)).toBe('moved');
    expect(await store.moveLegacySession(id)).toBe('missing');
    expect(await redis.pttl(store.keys.session(id))).toBeGreaterThan(50_000);
    expect(await redis.zrange(store.keys.index('gina'), 0, -1)).toEqual([sessionHandle(id)]);
    expect((await store.get(id))?.data).toEqual({ a: 1 });
    // A connect-redis string moves only when told whose it is (null: nobody's).
    const anon = newId();
    await redis.set(store.keys.legacySession(anon), '{"cookie":{}}', 'PX', 60_000);
    expect(await store.moveLegacySession(anon)).toBe('kept');
    expect(await store.moveLegacySession(anon, null)).toBe('moved');
    expect(await redis.get(store.keys.session(anon))).toBe('{"cookie":{}}');
  });

  it('moveLegacySession never overwrites a newer hashed record, nor lowers its index entry to the old expiry', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true });
    const redis = ioredisOf(store);
    const id = newId();
    await before.set(id, { old: true }, { userId: 'ivo', ttl: 5_000 });
    const plain = (await redis.get(store.keys.legacySession(id)))!;
    // Saved since under its hashed key (a request of another process), with a later expiry; the
    // plain-id copy is there again (put back here: the race a migrate meets between its read and its move).
    const newer = await store.set(id, { old: false }, { userId: 'ivo', ttl: 600_000 });
    await redis.set(store.keys.legacySession(id), plain, 'PX', 5_000);
    expect(await store.moveLegacySession(id)).toBe('moved');
    expect((await store.get(id))?.data).toEqual({ old: false });
    expect(Number(await redis.zscore(store.keys.index('ivo'), sessionHandle(id)))).toBe(newer.stored && newer.expiresAt);
    expect(await redis.get(store.keys.legacySession(id))).toMatch(/^!/); // retired: a tombstone
  });

  it("a connect-redis string moved up front stays signed in through its next save: the move's tombstone is no revocation", async () => {
    const store = hashed();
    const redis = ioredisOf(store);
    const id = newId();
    await redis.set(store.keys.legacySession(id), JSON.stringify({ cookie: {}, userId: 'jo' }), 'PX', 60_000);
    expect(await store.moveLegacySession(id, 'jo')).toBe('moved');
    // The first save as a record (version 1 under the hashed key) finds the move's tombstone under the plain id.
    expect(await store.set(id, { cookie: {}, userId: 'jo', n: 1 }, { userId: 'jo' })).toMatchObject({ stored: true });
    expect((await store.get(id))?.data).toEqual({ cookie: {}, userId: 'jo', n: 1 });
    expect(await store.countUserSessions('jo')).toBe(1);
    // A revocation still is one: destroyed under its plain id after its request loaded it, the save is refused.
    const revoked = newId();
    await redis.set(store.keys.legacySession(revoked), JSON.stringify({ cookie: {}, userId: 'jo' }), 'PX', 60_000);
    await store.destroy(revoked);
    expect(await store.set(revoked, { cookie: {} }, { userId: 'jo' })).toMatchObject({ stored: false, reason: 'revoked' });
  });

  it('destroy reaches a session still under its plain id', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true });
    const id = newId();
    await before.set(id, { a: 1 }, { userId: 'hank' });
    expect(await store.destroy(id, { userId: 'hank' })).toBe(true);
    expect(await store.get(id)).toBeNull();
    expect(await store.countUserSessions('hank')).toBe(0);
  });

  it('a handle copied out of Redis is no session id: get, save, touch, destroy and logout-everywhere with it never reach the session it names', async () => {
    const store = fresh(); // the defaults: hashIds and legacyKeys
    const redis = ioredisOf(store);
    const id = newId();
    await store.set(id, { who: 'alice' }, { userId: 'alice' });
    const handle = sessionHandle(id);
    const stored = await redis.get(store.keys.session(id)); // what sits under sess:<handle>
    expect(await store.get(handle)).toBeNull();
    expect(await store.load(handle)).toBeNull();
    expect(await store.destroy(handle)).toBe(false);
    expect(await store.touch(handle)).toBeNull();
    expect(await store.set(handle, { who: 'mallory' }, { userId: 'mallory' })).toMatchObject({ stored: true }); // a new session of its own
    expect(await store.touch(handle, { userId: 'mallory' })).not.toBeNull();
    expect(await store.destroy(handle)).toBe(true); // that new session
    // Alice's record is as she left it: not read, not copied, not tombstoned, not deleted.
    expect(await redis.get(store.keys.session(id))).toBe(stored);
    expect((await store.get(id))?.data).toEqual({ who: 'alice' });
    expect(await store.countUserSessions('mallory')).toBe(0);
    // Nor does a handle in `except` keep her session through logout-everywhere.
    expect(await store.invalidateAllUserSessions('alice', { except: handle })).toBe(1);
    expect(await store.get(id)).toBeNull();
  });

  it('with legacyKeys: false a miss costs one command and plain-id sessions are not read', async () => {
    const before = fresh({ hashIds: false }); // the pre-switch layout
    const store = fresh({ prefix: before.options.prefix, hashIds: true, legacyKeys: false });
    const id = newId();
    await before.set(id, { a: 1 });
    await store.get('warm-up');
    const { writes, result } = await storeWrites(store, () => store.get(id));
    expect(result).toBeNull();
    expect(writes).toBe(1);
    const legacy = fresh({ prefix: before.options.prefix, hashIds: true });
    await legacy.get('warm-up');
    const both = await storeWrites(legacy, () => legacy.get('nobody'));
    expect(both.writes).toBe(2); // the hashed key, then the plain id
  });
});
