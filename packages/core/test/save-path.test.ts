import { describe, expect, it } from 'vitest';
import type { SessionStore } from '@sessionkit/core';
import { commandCalls, ioredisOf, rawRecord, storeClients, useFreshStores } from './helpers.js';

// A save that carries what its caller loaded (version, createdAt, the same owner), as the adapters'
// saves do, hands the script the record already built: the script compares the stored header's
// bytes with what the caller expects and, when they agree, writes that record with Redis's times
// put in (one SETRANGE), instead of parsing the header and building the record itself (see
// src/lua/includes/set-read.lua). Either way the stored record must be the same, byte for byte.

const { freshOn } = useFreshStores('save-path');

/** Saves `data` as a caller that loaded the session would: with its version, createdAt and owner. */
async function saveLoaded(
  store: SessionStore,
  id: string,
  data: unknown,
  options: { ttl?: number; meta?: Record<string, unknown> | null; createdAt?: number } = {},
) {
  const loaded = await store.get(id);
  if (!loaded) throw new Error(`${id} is not stored`);
  const admin = ioredisOf(store);
  await admin.config('RESETSTAT');
  const result = await store.set(id, data, {
    ttl: options.ttl,
    userId: loaded.userId ?? null,
    previousUserId: loaded.userId ?? null,
    ifVersion: loaded.version,
    createdAt: options.createdAt ?? loaded.createdAt,
    ...(options.meta === undefined ? {} : { meta: options.meta }),
  });
  // SETRANGE runs in a save only when the caller's record was written.
  const built = ((await commandCalls(admin)).setrange ?? 0) === 0;
  return { loaded, result, built };
}

describe.each(storeClients)('a save of a loaded session on %s', (kind) => {
  const fresh = freshOn(kind);

  it("writes the caller's record with Redis's times: the same bytes a built record has, its expiry and its index score", async () => {
    const store = fresh();
    await store.set('s', { n: 1 }, { userId: 'ann', ttl: 60_000 });
    const { loaded, result, built } = await saveLoaded(store, 's', { n: 2 }, { ttl: 60_000 });
    expect(built).toBe(false);
    expect(result).toMatchObject({ stored: true, createdAt: loaded.createdAt, version: loaded.version + 1 });
    const admin = ioredisOf(store);
    const key = store.keys.session('s');
    const stored = await admin.get(key);
    const expiresAt = result.expiresAt!;
    expect(stored).toBe(
      rawRecord({
        owner: 'ann',
        data: JSON.stringify({ n: 2 }),
        createdAt: loaded.createdAt,
        expiresAt,
        lastSeenAt: expiresAt - 60_000,
        version: loaded.version + 1,
      }),
    );
    expect(Number(await admin.call('PEXPIRETIME', key))).toBe(expiresAt);
    expect(Number(await admin.zscore(store.keys.index('ann'), store.keys.member('s')))).toBe(expiresAt);
    expect(Number(await admin.call('PEXPIRETIME', store.keys.index('ann')))).toBeGreaterThanOrEqual(expiresAt);
    expect(await store.get('s')).toMatchObject({ data: { n: 2 }, userId: 'ann', createdAt: loaded.createdAt, expiresAt, version: loaded.version + 1 });
  });

  it('keeps a stored meta the caller did not expect (the record is built from what is stored)', async () => {
    const store = fresh();
    await store.set('m', { n: 1 }, { userId: 'ann', meta: { ua: 'Firefox' } });
    const { built } = await saveLoaded(store, 'm', { n: 2 });
    expect(built).toBe(true);
    expect(await store.get('m')).toMatchObject({ data: { n: 2 }, meta: { ua: 'Firefox' }, userId: 'ann' });
  });

  it('writes a meta the caller gives with its own record, and clears one with null', async () => {
    const store = fresh();
    await store.set('g', { n: 1 }, { userId: 'ann', meta: { ua: 'Firefox' } });
    const given = await saveLoaded(store, 'g', { n: 2 }, { meta: { ua: 'Safari', ip: '10.0.0.1' } });
    expect(given.built).toBe(false);
    expect(await store.get('g')).toMatchObject({ data: { n: 2 }, meta: { ua: 'Safari', ip: '10.0.0.1' } });
    const cleared = await saveLoaded(store, 'g', { n: 3 }, { meta: null });
    expect(cleared.built).toBe(false);
    const record = await store.get('g');
    expect(record).toMatchObject({ data: { n: 3 }, version: given.loaded.version + 2 });
    expect(record!.meta).toBeUndefined();
  });

  it("caps the expiry of the caller's record at the absolute timeout, and records it", async () => {
    const store = fresh({ absoluteTimeout: 3_600_000 });
    await store.set('a', { n: 1 }, { userId: 'ann', ttl: 7_200_000 });
    const { loaded, result, built } = await saveLoaded(store, 'a', { n: 2 }, { ttl: 7_200_000 });
    expect(built).toBe(false);
    expect(result.expiresAt).toBe(loaded.createdAt + 3_600_000);
    const record = await store.get('a');
    expect(record).toMatchObject({ absoluteExpiresAt: loaded.createdAt + 3_600_000, expiresAt: loaded.createdAt + 3_600_000 });
    expect(Number(await ioredisOf(store).call('PEXPIRETIME', store.keys.session('a')))).toBe(loaded.createdAt + 3_600_000);
  });

  it('keeps the stored createdAt when the caller gives another one', async () => {
    const store = fresh();
    await store.set('c', { n: 1 }, { userId: 'ann' });
    const first = (await store.get('c'))!;
    const { result, built } = await saveLoaded(store, 'c', { n: 2 }, { createdAt: first.createdAt - 5000 });
    expect(built).toBe(true);
    expect(result).toMatchObject({ stored: true, createdAt: first.createdAt });
    expect((await store.get('c'))!.createdAt).toBe(first.createdAt);
  });

  it('an anonymous session saved with what it loaded takes the same path and stays out of every index', async () => {
    const store = fresh({ indexPrefix: 'anon-idx:' });
    await store.set('anon', { n: 1 });
    const { loaded, result, built } = await saveLoaded(store, 'anon', { n: 2 });
    expect(built).toBe(false);
    expect(result).toMatchObject({ stored: true, createdAt: loaded.createdAt, version: loaded.version + 1 });
    expect(await store.get('anon')).toMatchObject({ data: { n: 2 }, version: loaded.version + 1 });
    expect(await ioredisOf(store).keys('anon-idx:*')).toEqual([]);
  });
});
