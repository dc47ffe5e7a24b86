import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { type CorruptSessionError, SessionStore } from '@sessionkit/core';
import { useRedis } from './helpers.js';

/**
 * Logout-everywhere against damaged keys (issue 22, #1 and #4): a revocation never drops an id it
 * has not revoked, and a key of another type under an index key is set aside instead of breaking
 * logout-everywhere for that user for good.
 */

const redis = useRedis();
let n = 0;

function fresh(options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) {
  const client = redis.client();
  return { client, store: new SessionStore({ client, prefix: `rh${++n}:`, indexPrefix: `rhidx${n}:`, ...options }) };
}

/** Sessions s0..s(count-1) of `userId`, each with its own expiry, so that their index scores are ordered. */
async function seed(store: SessionStore, userId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `s${i}`);
  for (const [i, id] of ids.entries()) await store.set(id, { i }, { userId, ttl: 60_000 + i * 1000 });
  return ids;
}

/** Another user's record with its time fields damaged (non-digits), listed in `userId`'s index between s1 and s2. */
async function damagedForeignRecord(client: Redis, store: SessionStore, userId: string): Promise<string> {
  await store.set('foreign', { other: true }, { userId: 'bob' });
  const key = store.keys.session('foreign');
  const record = (await client.get(key))!;
  await client.set(key, `~1${'X'.repeat(26)}${record.slice(28)}`, 'PX', 60_000);
  const index = store.keys.index(userId);
  const between = Number(await client.zscore(index, 's1')) + 1;
  await client.zadd(index, between, 'foreign');
  return key;
}

describe('logout-everywhere and a damaged record of another owner in the index', () => {
  it.each([
    ['in the first chunk (start script)', 100],
    ['in a later chunk (chunk scripts)', 2],
  ])('%s: revokes every session of the user and does not fail', async (_, revokeChunkSize) => {
    const { client, store } = fresh({ revokeChunkSize });
    const ids = await seed(store, 'ann', 5);
    await damagedForeignRecord(client, store, 'ann');
    expect(await store.invalidateAllUserSessions('ann')).toBe(5);
    for (const id of ids) expect(await store.get(id)).toBeNull();
    expect(await client.exists(store.keys.index('ann'), store.keys.draining('ann'))).toBe(0);
  });

  it('with revokedTtl 0 (GETDEL) as well', async () => {
    const { client, store } = fresh({ revokedTtl: 0 });
    const ids = await seed(store, 'ann', 5);
    await damagedForeignRecord(client, store, 'ann');
    expect(await store.invalidateAllUserSessions('ann')).toBe(5);
    for (const id of ids) expect(await store.get(id)).toBeNull();
  });
});

describe('logout-everywhere and a key of another type under an index key', () => {
  const corruptEvents = (store: SessionStore) => {
    const events: { error: CorruptSessionError; info: { idHash: string; userId?: string } }[] = [];
    store.on('corrupt', (error, info) => events.push({ error, info }));
    return events;
  };

  it('the index key: reported, moved aside (with an expiry), and logout-everywhere works then and later', async () => {
    const { client, store } = fresh();
    const events = corruptEvents(store);
    const index = store.keys.index('ann');
    await client.hset(index, 'f', 'v');
    expect(await store.invalidateAllUserSessions('ann')).toBe(0);
    expect(events).toHaveLength(1);
    expect(events[0]!.error.code).toBe('ERR_CORRUPT');
    expect(events[0]!.error.message).toContain(index);
    expect(events[0]!.error.message).toContain('ann');
    expect(events[0]!.info.userId).toBe('ann');
    // Moved out of the way, never left without an expiry.
    expect(await client.type(index)).toBe('none');
    expect(await client.exists(store.keys.draining('ann'))).toBe(0);
    expect(await client.type(`${index}:corrupt`)).toBe('hash');
    expect(await client.pttl(`${index}:corrupt`)).toBeGreaterThan(0);
    // Later sign-ins are indexed, and logout-everywhere reaches them.
    await seed(store, 'ann', 3);
    expect(await store.invalidateAllUserSessions('ann')).toBe(3);
    expect(await store.invalidateAllUserSessions('ann')).toBe(0);
    expect(events).toHaveLength(1);
  });

  it('the :revoking key: reported, moved aside, and the user’s sessions are revoked', async () => {
    const { client, store } = fresh({ revokeChunkSize: 2 });
    const events = corruptEvents(store);
    const ids = await seed(store, 'ann', 5);
    const draining = store.keys.draining('ann');
    await client.set(draining, 'not a sorted set');
    expect(await store.invalidateAllUserSessions('ann')).toBe(5);
    for (const id of ids) expect(await store.get(id)).toBeNull();
    expect(events.map((e) => e.info.userId)).toEqual(['ann']);
    expect(events[0]!.error.message).toContain(draining);
    expect(await client.exists(draining)).toBe(0);
    expect(await client.get(`${draining}:corrupt`)).toBe('not a sorted set');
    expect(await client.pttl(`${draining}:corrupt`)).toBeGreaterThan(0);
  });
});
