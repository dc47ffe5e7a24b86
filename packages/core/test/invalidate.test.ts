import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { hashId, SessionStore } from '@sessionkit/core';
import { checkRaceRound, commandCalls, countWrites, handles, sleep, ioredisOf, raceLogins, storeClients, storeWrites, useFreshStores } from './helpers.js';

const { redis, freshOn } = useFreshStores('inv');

/** Writes `count` sessions for a user with pipelined set scripts (fast setup for big users). */
async function seed(store: SessionStore, userId: string, count: number, idPrefix = 's'): Promise<string[]> {
  const ids = Array.from({ length: count }, (_, i) => `${idPrefix}${i}`);
  for (let i = 0; i < ids.length; i += 5000) await Promise.all(ids.slice(i, i + 5000).map((id) => store.set(id, { i }, { userId })));
  return ids;
}

describe.each(storeClients)('invalidateAllUserSessions on %s', (kind) => {
  const fresh = freshOn(kind);
  it('revokes every session of the user, honours except, and leaves other users alone', async () => {
    const store = fresh();
    const events: unknown[] = [];
    store.on('invalidate', (info) => events.push(info));
    await seed(store, 'ann', 5);
    await seed(store, 'bob', 2, 'b');
    expect(await store.invalidateAllUserSessions('ann', { except: 's3' })).toBe(4);
    expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual(handles(store, 's3'));
    expect(await store.get('s0')).toBeNull();
    expect(await store.get('s3')).not.toBeNull();
    expect(await store.countUserSessions('bob')).toBe(2);
    expect(await store.invalidateAllUserSessions('ann', { except: ['s3', 'not-hers'] })).toBe(0);
    expect(await store.invalidateAllUserSessions('ann')).toBe(1);
    expect(await store.countUserSessions('ann')).toBe(0);
    expect(await ioredisOf(store).keys(`${store.options.indexPrefix}{ann}*`)).toEqual([]);
    expect(events).toEqual([
      { userId: 'ann', count: 4 },
      { userId: 'ann', count: 0 },
      { userId: 'ann', count: 1 },
    ]);
    expect(await store.invalidateAllUserSessions('nobody')).toBe(0);
  });

  it('is one round trip and one command up to revokeChunkSize sessions', async () => {
    const store = fresh({ revokeChunkSize: 1000 });
    await seed(store, 'u', 1000);
    await store.invalidateAllUserSessions('warm-up');
    await ioredisOf(store).config('RESETSTAT');
    const { writes, result } = await storeWrites(store, () => store.invalidateAllUserSessions('u'));
    expect(result).toBe(1000);
    if (writes !== undefined) expect(writes).toBe(1); // ioredis: counted on its socket
    const calls = await commandCalls(ioredisOf(store));
    expect(calls.evalsha).toBe(1);
    // No per-session command from the client: the GET/DEL pairs of the naive way never happen.
    expect(calls.get ?? 0).toBe(0);
    expect(calls.unlink ?? 0).toBe(0);
  });

  // 5,200 sessions: on ioredis only, where its socket writes can be counted too.
  it.runIf(kind === 'ioredis')('beyond revokeChunkSize: two round trips, each Lua call bounded to one chunk', async () => {
    const store = fresh({ revokeChunkSize: 500 });
    await seed(store, 'big', 5200);
    await ioredisOf(store).config('RESETSTAT');
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
    await ioredisOf(store).zadd(store.keys.index('ann'), Date.now() + 60_000, 'moved');
    expect(await store.invalidateAllUserSessions('ann')).toBe(0);
    expect((await store.get('moved'))!.userId).toBe('bob');
  });

  it('compares the whole owner field: an owner whose id starts with the user id keeps its session, and its expiry', async () => {
    const store = fresh();
    await store.set('theirs', { n: 1 }, { userId: 'annabel', ttl: 120_000 });
    await ioredisOf(store).zadd(store.keys.index('ann'), Date.now() + 60_000, 'theirs');
    const ttlBefore = await ioredisOf(store).pttl(store.keys.session('theirs'));
    expect(await store.invalidateAllUserSessions('ann')).toBe(0);
    const kept = await store.get('theirs');
    expect(kept?.userId).toBe('annabel');
    expect(kept?.data).toEqual({ n: 1 });
    const ttlAfter = await ioredisOf(store).pttl(store.keys.session('theirs'));
    expect(ttlAfter).toBeGreaterThan(ttlBefore - 5_000);
    expect(ttlAfter).toBeLessThanOrEqual(ttlBefore);
  });

  /**
   * Three app processes (three clients, four login workers each) keep logging one user in; in the
   * middle of the stream a fourth runs logout-everywhere, while a fifth lists the user's sessions
   * in a loop. Times are performance.now() in this one process: a reply read before the call was
   * sent was executed by Redis before it, and a command sent after the call's reply arrived is
   * executed after it. Nothing else is ordered, so the assertions below use only those two facts.
   */
  for (const [name, cap] of [
    ['no cap', {}],
    ["maxSessionsPerUser 40, 'evict-oldest'", { maxSessionsPerUser: 40 }],
  ] as const) {
    // On ioredis here; node-redis runs the same race in node-redis.test.ts (x4 per major).
    it.runIf(kind === 'ioredis')(
      `race (${name}): logins while logout-everywhere runs leave no earlier session alive and no unindexed survivor (x8)`,
      async () => {
        const admin = fresh(cap);
        const options = { ...cap, prefix: admin.options.prefix };
        const writers = Array.from({ length: 3 }, () => new SessionStore({ client: redis.client(), ...options }));
        const lister = new SessionStore({ client: redis.client(), ...options });
        const evictedHashes = new Set<string>();
        for (const w of writers)
          w.on('evict', ({ idHashes }) => {
            for (const h of idHashes) evictedHashes.add(h);
          });
        const totals = { revoked: 0, inFlightAcks: 0, ackedDuringOrAfter: 0, survivors: 0, strictlyChecked: 0 };

        for (let round = 0; round < 8; round++) {
          const user = `racer-${round}`;
          const pre = Array.from({ length: 20 }, (_, i) => `pre-${round}-${i}`);
          await Promise.all(pre.map((id, i) => writers[i % 3]!.set(id, { pre: true }, { userId: user })));

          const listings: { from: number; to: number; ids: string[]; missing: string[] }[] = [];
          let listing = true;
          // Listings name sessions by handle: back to the ids, to read them.
          const idOf = new Map(pre.map((id) => [lister.sessionHandle(id), id]));
          const logins = raceLogins(writers, user, round, (id) => idOf.set(lister.sessionHandle(id), id));
          // Each listing is checked at once: every listed id must still exist. Only logout-everywhere
          // (and, with a cap, an eviction) removes sessions here, so a listing whose check ran
          // entirely before the call began or after it ended has no excuse for a missing id.
          const listLoop = async () => {
            while (listing) {
              const from = performance.now();
              const ids = (await lister.listUserSessions(user)).map((s) => idOf.get(s.id) ?? s.id);
              const got = await Promise.all(ids.map((id) => lister.get(id)));
              listings.push({ from, to: performance.now(), ids, missing: ids.filter((_, i) => got[i] === null) });
            }
          };
          const listed = listLoop();
          await sleep(4 + (round % 4) * 3);
          const began = performance.now();
          totals.revoked += await admin.invalidateAllUserSessions(user);
          const ended = performance.now();
          await sleep(6);
          listing = false;
          await Promise.all([logins.stop(), listed]);

          // 1. No session whose write was acknowledged before the call began survives it.
          // 2. A login sent after the call returned is untouched by it (unless the cap evicted it).
          const evicted = (id: string) => evictedHashes.has(hashId(id));
          const { alive, stored } = await checkRaceRound(admin, { pre, acks: logins.acks, began, ended, evicted });
          // 3. Every listed id existed when its listing was checked, unless the check overlapped
          //    the call or the id was evicted by the cap.
          for (const l of listings) {
            if (l.to < began || l.from > ended) {
              expect(l.missing.filter((id) => !evictedHashes.has(hashId(id)))).toEqual([]);
              totals.strictlyChecked += l.ids.length;
            }
          }
          // 4. The index holds exactly the survivors, so the next logout-everywhere reaches each one.
          const indexed = await ioredisOf(admin).zrange(admin.keys.index(user), 0, -1);
          expect(indexed.sort()).toEqual(handles(admin, ...alive).sort());
          expect(await admin.invalidateAllUserSessions(user)).toBe(alive.size);
          expect((await Promise.all([...alive].map((id) => admin.get(id)))).filter(Boolean)).toEqual([]);

          totals.survivors += alive.size;
          totals.inFlightAcks += stored.filter(([, a]) => a.sent < ended && a.at > began).length;
          totals.ackedDuringOrAfter += stored.filter(([, a]) => a.at >= began).length;
        }
        // The rounds really overlapped: logins were in flight across the call and were acknowledged
        // while it ran or after it, and the call revoked sessions. Without this the checks above
        // could pass on a sequential run.
        expect(totals.revoked).toBeGreaterThan(0);
        expect(totals.inFlightAcks).toBeGreaterThan(0);
        expect(totals.ackedDuringOrAfter).toBeGreaterThan(0);
        expect(totals.strictlyChecked).toBeGreaterThan(0);
        console.log(`[race ${name}] x8: ${JSON.stringify(totals)}`);
      },
    );
  }
});

describe.each(storeClients)('invalidateAllUserSessions with revokedTtl 0 (no tombstones) on %s', (kind) => {
  const fresh = freshOn(kind);
  it('deletes every session outright', async () => {
    const store = fresh({ revokedTtl: 0 });
    await seed(store, 'zero', 30);
    expect(await store.invalidateAllUserSessions('zero')).toBe(30);
    expect(await store.length()).toBe(0);
  });

  it('a command Redis refuses inside the script fails the call; it is never taken for an absent session', async () => {
    const store = fresh({ revokedTtl: 0 });
    await seed(store, 'refused', 3);
    await redis.client().call('ACL', 'SETUSER', 'no-getdel', 'on', '>pw', '~*', '&*', '+@all', '-getdel');
    const refused = new SessionStore({ client: redis.client({ username: 'no-getdel', password: 'pw' }), prefix: store.options.prefix, revokedTtl: 0 });
    await expect(refused.invalidateAllUserSessions('refused')).rejects.toMatchObject({ code: 'ERR_REDIS' });
    expect(await store.length()).toBe(3);
  });
});
