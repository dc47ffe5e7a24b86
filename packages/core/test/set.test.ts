import { describe, expect, it } from 'vitest';
import { SessionKitError } from '@sessionkit/core';
import { handles, sleep, ioredisOf, storeClients, storeWrites, useFreshStores } from './helpers.js';

const { freshOn } = useFreshStores('set');

describe.each(storeClients)('set on %s', (kind) => {
  const fresh = freshOn(kind);
  it('stores data, owner, meta and times, in one round trip (legacyKeys: false; with it, a new session costs one more)', async () => {
    const store = fresh({ legacyKeys: false });
    await store.set('warm-up', {}, { userId: 'ann' }); // loads the script (EVALSHA, NOSCRIPT, EVAL) once
    const { writes, result } = await storeWrites(store, () => store.set('s1', { cart: [1, 2] }, { userId: 'ann', meta: { ua: 'Firefox' }, ttl: 60_000 }));
    if (writes !== undefined) expect(writes).toBe(1); // ioredis: counted on its socket
    expect(result.stored).toBe(true);
    // With legacyKeys (the default), the save that creates a session retires a plain-id copy that
    // connect-redis or an earlier release may have left (SET ... XX GET: nothing, when there is
    // none); the saves after it are one round trip again.
    const migrating = fresh();
    await migrating.set('warm-up', {}, { userId: 'ann' });
    const created = await storeWrites(migrating, () => migrating.set('s2', { n: 1 }, { userId: 'ann' }));
    const saved = await storeWrites(migrating, () => migrating.set('s2', { n: 2 }, { userId: 'ann' }));
    if (created.writes !== undefined) expect([created.writes, saved.writes]).toEqual([2, 1]);
    const record = await store.get('s1');
    expect(record).toMatchObject({ id: 's1', data: { cart: [1, 2] }, userId: 'ann', meta: { ua: 'Firefox' } });
    expect(record!.expiresAt - record!.createdAt).toBe(60_000);
    expect(record!.lastSeenAt).toBe(record!.createdAt);
  });

  it('a ttl of Infinity is a century, and the session reads back', async () => {
    const store = fresh();
    expect((await store.set('forever', { a: 1 }, { ttl: Infinity })).stored).toBe(true);
    const record = await store.get('forever');
    expect(record!.data).toEqual({ a: 1 });
    expect(record!.expiresAt - record!.createdAt).toBe(100 * 365 * 86_400_000);
  });

  it('sets the Redis expiry with millisecond precision', async () => {
    const store = fresh();
    await store.set('ms', { a: 1 }, { ttl: 1234 });
    const pttl = await ioredisOf(store).pttl(store.keys.session('ms'));
    expect(pttl).toBeGreaterThan(1100);
    expect(pttl).toBeLessThanOrEqual(1234);
    // Not rounded to a whole second in either direction.
    expect(pttl % 1000).not.toBe(0);
  });

  it('deletes the session when the ttl is zero or negative', async () => {
    const store = fresh();
    await store.set('z', { a: 1 }, { userId: 'u' });
    expect(await store.set('z', { a: 2 }, { ttl: 0, userId: 'u' })).toEqual({ stored: false, reason: 'expired' });
    expect(await store.get('z')).toBeNull();
    expect(await store.countUserSessions('u')).toBe(0);
    expect(await store.set('neg', { a: 1 }, { ttl: -5 })).toEqual({ stored: false, reason: 'expired' });
    expect(await ioredisOf(store).exists(store.keys.session('neg'))).toBe(0);
  });

  it('keeps createdAt across writes and refuses to extend past the absolute timeout', async () => {
    const store = fresh({ absoluteTimeout: 1000 }); // the shortest accepted: a shorter one is taken for a unit mistake
    const first = await store.set('abs', { v: 1 }, { ttl: 60_000 });
    await sleep(50);
    const second = await store.set('abs', { v: 2 }, { ttl: 60_000 });
    expect(second.createdAt).toBe(first.createdAt);
    expect(second.expiresAt).toBe(first.createdAt! + 1000);
    expect((await store.get('abs'))!.absoluteExpiresAt).toBe(first.createdAt! + 1000);
    await sleep(1050);
    expect(await store.get('abs')).toBeNull();
    expect(await store.set('abs', { v: 3 }, { ttl: 60_000 })).toMatchObject({ stored: true });
  });

  it('a late write to a record that expired in flight keeps the absolute timeout of its createdAt', async () => {
    const store = fresh({ absoluteTimeout: 1000 });
    const first = await store.set('late', { v: 1 }, { ttl: 60_000, userId: 'ann' });
    await sleep(1050); // past the absolute expiry: Redis has dropped the key
    // The request that loaded it passes the createdAt it read: refused, not a new lifetime.
    expect(await store.set('late', { v: 2 }, { ttl: 60_000, userId: 'ann', createdAt: first.createdAt })).toEqual({ stored: false, reason: 'expired' });
    expect(await store.get('late')).toBeNull();
    expect(await store.countUserSessions('ann')).toBe(0);
    // Idle expiry within the absolute lifetime: the write lands, still capped by the first createdAt.
    const again = await store.set('idle', { v: 1 }, { ttl: 50 });
    await sleep(100);
    const late = await store.set('idle', { v: 2 }, { ttl: 60_000, createdAt: again.createdAt });
    expect(late).toMatchObject({ stored: true, createdAt: again.createdAt, expiresAt: again.createdAt! + 1000 });
    await expect(store.set('x', {}, { createdAt: Number.NaN })).rejects.toThrow(/createdAt must be a time in ms/);
  });

  it('keeps meta when omitted, replaces it when given, clears it with null', async () => {
    const store = fresh();
    await store.set('m', {}, { meta: { ip: '10.0.0.1' } });
    await store.set('m', { x: 1 });
    expect((await store.get('m'))!.meta).toEqual({ ip: '10.0.0.1' });
    await store.set('m', { x: 2 }, { meta: { ip: '10.0.0.2' } });
    expect((await store.get('m'))!.meta).toEqual({ ip: '10.0.0.2' });
    await store.set('m', { x: 3 }, { meta: null });
    expect((await store.get('m'))!.meta).toBeUndefined();
  });

  // hashIds: false too: there the id itself is the key's suffix and the index member.
  it.each([true, false])('accepts ids and user ids with glob, hash-tag, separator, space and non-ASCII characters (hashIds: %s)', async (hashIds) => {
    const store = fresh({ hashIds });
    const odd = ['*', '?', '[a]', '{x}', 'a:b', 'with space', 'ünï©ødé 🙂', 'user:{1}'];
    for (const id of odd) await store.set(id, { id }, { userId: id });
    for (const id of odd) {
      expect(await store.get(id)).toMatchObject({ data: { id }, userId: id });
      expect((await store.listUserSessions(id)).map((s) => s.id)).toEqual(handles(store, id));
    }
    expect((await store.ids()).sort()).toEqual(handles(store, ...odd).sort());
  });

  it('long non-ASCII user ids either round-trip or are refused at set with ERR_INVALID_USER_ID (4096 bytes percent-encoded); nothing is written that get cannot read', async () => {
    const store = fresh();
    // Each within the 1024-character limit; 'é' encodes to 6 bytes (%C3%A9), '日' to 9.
    const ids = ['é'.repeat(700), '日'.repeat(1024), 'é'.repeat(682), 'é'.repeat(683), '日'.repeat(455), '日'.repeat(456), ' '.repeat(1024), 'a'.repeat(1024)];
    const stored: string[] = [];
    for (const [i, userId] of ids.entries()) {
      const sid = `long${i}`;
      const written = await store.set(sid, { i }, { userId }).then(
        () => true,
        (error: unknown) => {
          expect(error).toBeInstanceOf(SessionKitError);
          expect((error as SessionKitError).code).toBe('ERR_INVALID_USER_ID');
          return false;
        },
      );
      if (!written) {
        expect(await ioredisOf(store).exists(store.keys.session(sid))).toBe(0);
        continue;
      }
      stored.push(userId);
      expect(await store.get(sid)).toMatchObject({ data: { i }, userId });
      expect((await store.listUserSessions(userId)).map((s) => s.id)).toEqual(handles(store, sid));
      // A second read: the index still holds it (a read that fails to parse the header drops it).
      expect(await store.countUserSessions(userId)).toBe(1);
    }
    // The limit is exactly 4096 encoded bytes: 682 x 6 and 455 x 9 fit, one more does not.
    expect(stored).toEqual(['é'.repeat(682), '日'.repeat(455), ' '.repeat(1024), 'a'.repeat(1024)]);
  });

  it('rejects bad input with a clear error and writes nothing', async () => {
    const store = fresh({ maxPayloadBytes: 100 });
    const cases: [() => Promise<unknown>, string][] = [
      [() => store.set('', {}), 'ERR_INVALID_ID'],
      [() => store.set(42 as unknown as string, {}), 'ERR_INVALID_ID'],
      [() => store.set('x'.repeat(2000), {}), 'ERR_INVALID_ID'],
      [() => store.set('ok', {}, { userId: '' }), 'ERR_INVALID_USER_ID'],
      [() => store.set('ok', {}, { userId: {} as unknown as string }), 'ERR_INVALID_USER_ID'],
      [() => store.set('ok', {}, { userId: NaN }), 'ERR_INVALID_USER_ID'],
      // '\uD800' and '\uDC00' both encode to U+FFFD in UTF-8: accepting them would merge two ids.
      [() => store.set('\uD800', {}), 'ERR_INVALID_ID'],
      [() => store.set('ok', {}, { userId: 'a\uDC00' }), 'ERR_INVALID_USER_ID'],
      [() => store.set('ok', { blob: 'x'.repeat(200) }), 'ERR_PAYLOAD_TOO_LARGE'],
      [() => store.set('ok', { n: 10n }), 'ERR_SERIALIZE'],
      [
        () =>
          store.set(
            'ok',
            (() => {
              const o: Record<string, unknown> = {};
              o.self = o;
              return o;
            })(),
          ),
        'ERR_SERIALIZE',
      ],
      [() => store.set('ok', undefined), 'ERR_SERIALIZE'],
      [() => store.set('ok', {}, { ttl: NaN }), 'ERR_INVALID_OPTION'],
      [() => store.set('ok', {}, { meta: [] as unknown as Record<string, unknown> }), 'ERR_INVALID_OPTION'],
    ];
    for (const [call, code] of cases) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, code).toBeInstanceOf(SessionKitError);
      expect((error as SessionKitError).code).toBe(code);
      expect((error as Error).message.length).toBeGreaterThan(10);
    }
    expect(await ioredisOf(store).keys(`${store.options.prefix}*`)).toEqual([]);
  });

  it('accepts numeric user ids as their decimal string', async () => {
    const store = fresh();
    await store.set('num', {}, { userId: 42 });
    expect((await store.get('num'))!.userId).toBe('42');
    expect(await store.countUserSessions('42')).toBe(1);
  });

  it('refuses to write an id that was destroyed, until revokedTtl passes', async () => {
    const store = fresh({ revokedTtl: 200 });
    const events: unknown[] = [];
    store.on('revoked-write', (info) => events.push(info));
    await store.set('gone', { a: 1 });
    expect(await store.destroy('gone')).toBe(true);
    expect(await store.set('gone', { a: 2 })).toEqual({ stored: false, reason: 'revoked' });
    expect(events).toHaveLength(1);
    expect(JSON.stringify(events)).not.toContain('gone');
    await sleep(250);
    expect(await store.set('gone', { a: 3 })).toMatchObject({ stored: true });
  });

  it('with revokedTtl 0, destroy deletes outright and the id can be written again', async () => {
    const store = fresh({ revokedTtl: 0 });
    await store.set('plain', { a: 1 });
    await store.destroy('plain');
    expect(await ioredisOf(store).exists(store.keys.session('plain'))).toBe(0);
    expect(await store.set('plain', { a: 2 })).toMatchObject({ stored: true });
  });
});
