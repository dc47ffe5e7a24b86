import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { commandCalls, countWrites, useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}, client: Redis = redis.client()) =>
  new SessionStore({ client, prefix: `inv${++n}:`, ...options });

/** Writes `count` sessions for a user with pipelined set scripts (fast setup for big users). */
async function seed(store: SessionStore, userId: string, count: number, idPrefix = 's'): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${idPrefix}${i}`);
  for (let i = 0; i < ids.length; i += 5000) await Promise.all(ids.slice(i, i + 5000).map((id) => store.set(id, { i }, { userId })));
  return ids;
}

describe('invalidateAllUserSessions', () => {
  it('revokes every session of the user, honours except, and leaves other users alone', async () => {
    const store = fresh();
    const events: unknown[] = [];
    store.on('invalidate', (info) => events.push(info));
    await seed(store, 'ann', 5);
    await seed(store, 'bob', 2, 'b');
    expect(await store.invalidateAllUserSessions('ann', { except: 's3' })).toBe(4);
    expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual(['s3']);
    expect(await store.get('s0')).toBeNull();
    expect(await store.get('s3')).not.toBeNull();
    expect(await store.countUserSessions('bob')).toBe(2);
    expect(await store.invalidateAllUserSessions('ann', { except: ['s3', 'not-hers'] })).toBe(0);
    expect(await store.invalidateAllUserSessions('ann')).toBe(1);
    expect(await store.countUserSessions('ann')).toBe(0);
    expect(await store.client.keys(`${store.options.indexPrefix}{ann}*`)).toEqual([]);
    expect(events).toEqual([{ userId: 'ann', count: 4 }, { userId: 'ann', count: 0 }, { userId: 'ann', count: 1 }]);
    expect(await store.invalidateAllUserSessions('nobody')).toBe(0);
  });

  it('is one round trip and one command up to revokeChunkSize sessions', async () => {
    const store = fresh({ revokeChunkSize: 1000 });
    await seed(store, 'u', 1000);
    await store.invalidateAllUserSessions('warm-up');
    await store.client.config('RESETSTAT');
    const { writes, result } = await countWrites(store.client as Redis, () => store.invalidateAllUserSessions('u'));
    expect(result).toBe(1000);
    expect(writes).toBe(1);
    const calls = await commandCalls(store.client as Redis);
    expect(calls.evalsha).toBe(1);
    // No per-session command from the client: the GET/DEL pairs of the naive way never happen.
    expect(calls.get ?? 0).toBe(0);
    expect(calls.unlink ?? 0).toBe(0);
  });

  it('beyond revokeChunkSize: two round trips, each Lua call bounded to one chunk', async () => {
    const store = fresh({ revokeChunkSize: 500 });
    await seed(store, 'big', 5200);
    await store.client.config('RESETSTAT');
    const { writes, result } = await countWrites(store.client as Redis, () => store.invalidateAllUserSessions('big'));
    expect(result).toBe(5200);
    expect(writes).toBe(2);
    const calls = await commandCalls(store.client as Redis);
    expect((calls.evalsha ?? 0) + (calls.eval ?? 0), JSON.stringify(calls)).toBe(Math.ceil(5200 / 500));
    expect(await store.length()).toBe(0);
  });

  it('a session written by an earlier request cannot be written back after revocation', async () => {
    const store = fresh();
    await store.set('stolen', { user: 'ann' }, { userId: 'ann' });
    const loadedByAttacker = await store.get('stolen');
    await store.invalidateAllUserSessions('ann');
    expect(await store.set('stolen', loadedByAttacker!.data, { userId: 'ann' })).toEqual({ stored: false, reason: 'revoked' });
    expect(await store.touch('stolen')).toBeNull();
    expect(await store.get('stolen')).toBeNull();
  });

  it('only revokes sessions still owned by the user', async () => {
    const store = fresh();
    await store.set('moved', {}, { userId: 'ann' });
    // A stale index entry pointing at a session now owned by someone else.
    await store.set('moved', {}, { userId: 'bob' });
    await store.client.zadd(store.keys.index('ann'), Date.now() + 60_000, 'moved');
    expect(await store.invalidateAllUserSessions('ann')).toBe(0);
    expect((await store.get('moved'))!.userId).toBe('bob');
  });

  it('race: concurrent logins while logout-everywhere runs, repeated', async () => {
    const writerClients = [redis.client(), redis.client(), redis.client()];
    const invalidator = fresh();
    const stores = writerClients.map((client) => new SessionStore({ client, prefix: invalidator.options.prefix }));
    for (let round = 0; round < 15; round++) {
      const user = `racer-${round}`;
      const completedAt = new Map<string, number>();
      const logins = Array.from({ length: 120 }, (_, i) => {
        const id = `r${round}-${i}`;
        return stores[i % stores.length]!.set(id, { i }, { userId: user }).then((result) => {
          if (result.stored) completedAt.set(id, performance.now());
        });
      });
      // Let roughly half of the logins land first, then invalidate while the rest are in flight.
      await Promise.all(logins.slice(0, 60));
      const began = performance.now();
      await invalidator.invalidateAllUserSessions(user);
      await Promise.all(logins);

      const before = [...completedAt].filter(([, at]) => at < began).map(([id]) => id);
      expect(before.length).toBeGreaterThan(0);
      for (const id of before) expect(await invalidator.get(id), `${id} written before the invalidation survived`).toBeNull();
      // The index lists only sessions that exist, and lists every one that does.
      const members = await invalidator.client.zrange(invalidator.keys.index(user), 0, -1);
      for (const id of members) expect(await invalidator.get(id), `index lists missing ${id}`).not.toBeNull();
      const live = [];
      for (let i = 0; i < 120; i++) if (await invalidator.get(`r${round}-${i}`)) live.push(`r${round}-${i}`);
      expect(members.sort()).toEqual(live.sort());
    }
  });
});
