import { Redis as Redis6 } from 'ioredis6';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { complianceTarget, ioredisLikeClients, signInAnnsDevices, useRedis } from './helpers.js';

/**
 * The peer range says `ioredis ^5.0.0 || ^6.0.0`; the rest of the suite runs ioredis 5. This
 * file runs the store on an ioredis 6 client (installed as the `ioredis6` alias), single node.
 * ioredis 6 speaks RESP3 by default (HELLO 3), so replies reach the store in RESP3 framing.
 * The Cluster client of ioredis 6 is covered in cluster.test.ts.
 */

const redis = useRedis();
/** An ioredis 6 client, typed as the ioredis 5 `Redis` the store's types name (two copies of ioredis sit side by side here). */
const six = ioredisLikeClients(redis, (options) => new Redis6(options));

runStoreCompliance('core FrameworkStore on an ioredis 6 client (single node)', async () =>
  complianceTarget(new FrameworkStore<TestSession>({ client: six(), touchAfter: 0 })),
);

describe('per-user API on an ioredis 6 client', () => {
  it('speaks RESP3 to the server (so this is not ioredis 5 behaviour again)', async () => {
    expect(await six().call('CLIENT', 'INFO')).toMatch(/ resp=3\b/);
  });

  it("lists a user's sessions and logs out everywhere but the current one, in chunks", async () => {
    const store = new SessionStore<{ n: number }>({ client: six(), prefix: 'six:', revokeChunkSize: 2 });
    const { ids, listed } = await signInAnnsDevices(store);
    for (const s of listed) expect(s.expiresAt).toBeGreaterThan(Date.now());
    expect(await store.countUserSessions('ann')).toBe(5);

    // 4 to revoke in chunks of 2: the first chunk in the start script, the rest in a pipeline.
    expect(await store.invalidateAllUserSessions('ann', { except: 'p1' })).toBe(4);
    expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual([store.sessionHandle('p1')]);
    for (const id of ids.slice(1)) expect(await store.get(id)).toBeNull();
    expect(await store.get('p1')).toMatchObject({ data: { n: 0 }, userId: 'ann' });
    expect(await store.get('bob-1')).not.toBeNull();
    // A request that loaded a revoked session cannot write it back.
    expect(await store.set('p2', { n: 1 }, { userId: 'ann' })).toEqual({ stored: false, reason: 'revoked' });

    expect(await store.revokeUserSession('bob', 'p1')).toBe(false);
    expect(await store.revokeUserSession('ann', 'p1')).toBe(true);
    expect(await store.countUserSessions('ann')).toBe(0);
  });
});
