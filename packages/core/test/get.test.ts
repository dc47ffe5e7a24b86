import { describe, expect, it, vi } from 'vitest';
import { CorruptSessionError, type SessionStore } from '@sessionkit/core';
import { rawRecord, sleep, ioredisOf, storeClients, storeWrites, useFreshStores } from './helpers.js';

const { freshOn } = useFreshStores('get');

describe.each(storeClients)('get on %s', (kind) => {
  const fresh = freshOn(kind);
  it('reads a session in one round trip; an unknown id costs one more (the plain-id key) only while legacyKeys is on', async () => {
    const store = fresh();
    await store.get('warm-up');
    await store.set('here', { a: 1 });
    const found = await storeWrites(store, () => store.get('here'));
    expect(found.result).toMatchObject({ data: { a: 1 } });
    if (found.writes !== undefined) expect(found.writes).toBe(1); // ioredis: counted on its socket
    const missed = await storeWrites(store, () => store.get('nobody'));
    expect(missed.result).toBeNull();
    if (missed.writes !== undefined) expect(missed.writes).toBe(2);
    const migrated = fresh({ legacyKeys: false });
    await migrated.get('warm-up');
    const { writes, result } = await storeWrites(migrated, () => migrated.get('nobody'));
    expect(result).toBeNull();
    if (writes !== undefined) expect(writes).toBe(1);
  });

  it('returns a fresh object on every call', async () => {
    const store = fresh();
    await store.set('s', { list: [1] });
    const a = await store.get('s');
    (a!.data as { list: number[] }).list.push(2);
    expect((await store.get('s'))!.data).toEqual({ list: [1] });
  });

  it("reads live sessions on an app server whose clock runs ahead: Redis's clock decides expiry", async () => {
    const store = fresh();
    await store.set('skew', { a: 1 }, { ttl: 60_000 });
    await store.set('short', { a: 2 }, { ttl: 50 });
    const realNow = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(realNow + 120_000);
    try {
      const record = await store.get('skew');
      expect(record?.data).toEqual({ a: 1 });
      expect(record!.expiresAt).toBeLessThan(realNow + 61_000);
      expect(await store.touch('skew')).not.toBeNull();
    } finally {
      clock.mockRestore();
    }
    // And an expired one is gone, whatever the app's clock says.
    await sleep(100);
    expect(await store.get('short')).toBeNull();
  });

  it('reads a plain JSON string as connect-redis writes it', async () => {
    const store = fresh();
    const key = store.keys.session('legacy');
    await ioredisOf(store).set(key, JSON.stringify({ cookie: { originalMaxAge: 1000 }, userId: 7 }), 'PX', 5000);
    const record = await store.get('legacy');
    expect(record!.data).toEqual({ cookie: { originalMaxAge: 1000 }, userId: 7 });
    expect(record!.legacy).toBe(true);
    expect(record!.expiresAt - Date.now()).toBeGreaterThan(4000);
    await ioredisOf(store).set(store.keys.session('forever'), '{"a":1}');
    expect((await store.get('forever'))!.expiresAt).toBe(Number.MAX_SAFE_INTEGER);
    // The next write replaces the string with a record.
    await store.set('legacy', { upgraded: true }, { userId: 'u' });
    expect(await ioredisOf(store).get(key)).toMatch(/^~1/);
    expect((await store.get('legacy'))!.legacy).toBeUndefined();
    expect((await store.get('legacy'))!.userId).toBe('u');
  });

  describe('corrupt or foreign values: reported, treated as absent, never thrown', () => {
    const corruptions: [string, (store: SessionStore, key: string) => Promise<unknown>][] = [
      ['a string that is not JSON', (s, k) => ioredisOf(s).set(k, '{"truncated": ')],
      ['a record whose data is not JSON', (s, k) => ioredisOf(s).set(k, rawRecord({ data: 'nope' }))],
      ['a record with no data', (s, k) => ioredisOf(s).set(k, rawRecord({ data: '' }))],
      ['a record with a damaged header', (s, k) => ioredisOf(s).set(k, rawRecord().replace(/\|\d+\|/, '|x|'))],
      ['a record shorter than its meta length', (s, k) => ioredisOf(s).set(k, rawRecord({ meta: '{"a":1}', data: '' }).replace('|7|', '|70|'))],
      ['a record of a format version this release does not know', (s, k) => ioredisOf(s).set(k, rawRecord().replace(/^~1/, '~9'))],
      ['a hash (not a string)', (s, k) => ioredisOf(s).hset(k, 'd', '{}')],
      ['a list', (s, k) => ioredisOf(s).rpush(k, 'x')],
      ['a set', (s, k) => ioredisOf(s).sadd(k, 'x')],
      ['a sorted set', (s, k) => ioredisOf(s).zadd(k, 1, 'x')],
    ];
    for (const [what, corrupt] of corruptions) {
      it(what, async () => {
        const store = fresh();
        const events: [CorruptSessionError, { idHash: string }][] = [];
        store.on('corrupt', (error, info) => events.push([error, info]));
        await corrupt(store, store.keys.session('bad'));
        expect(await store.get('bad')).toBeNull();
        expect(events).toHaveLength(1);
        expect(events[0]![0]).toBeInstanceOf(CorruptSessionError);
        expect(events[0]![0].code).toBe('ERR_CORRUPT');
        expect(events[0]![1].idHash).toMatch(/^[0-9a-f]{16}$/);
        // A new write replaces the bad value.
        expect((await store.set('bad', { fixed: true })).stored).toBe(true);
        expect((await store.get('bad'))!.data).toEqual({ fixed: true });
      });
    }
  });

  it('drops bad meta (reported) but keeps the session usable', async () => {
    const store = fresh();
    const events: unknown[] = [];
    store.on('corrupt', (error) => events.push(error));
    await ioredisOf(store).set(store.keys.session('m'), rawRecord({ data: '{"a":1}', meta: '[1]' }), 'PX', 10_000);
    const record = await store.get('m');
    expect(record!.data).toEqual({ a: 1 });
    expect(record!.meta).toBeUndefined();
    expect(events).toHaveLength(1);
    await ioredisOf(store).set(store.keys.session('m'), rawRecord({ data: '{"a":1}', meta: 'not json' }), 'PX', 10_000);
    expect((await store.get('m'))!.data).toEqual({ a: 1 });
    expect(events).toHaveLength(2);
  });

  it('never lets __proto__ or constructor keys pollute prototypes', async () => {
    const store = fresh();
    await ioredisOf(store).set(store.keys.session('evil'), '{"__proto__":{"polluted":true},"constructor":{"prototype":{"bad":1}},"ok":1}');
    const record = await store.get('evil');
    const data = record!.data as Record<string, unknown>;
    expect(data.ok).toBe(1);
    expect(Object.hasOwn(data, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.assign({}, data).polluted).toBeUndefined();
  });

  it('does not return a session once its TTL runs out', async () => {
    const store = fresh();
    await store.set('short', { a: 1 }, { ttl: 150 });
    expect(await store.get('short')).not.toBeNull();
    await sleep(200);
    expect(await store.get('short')).toBeNull();
  });
});
