import { Redis as Valkey, type RedisOptions as ValkeyOptions } from 'iovalkey';
import { describe, expect, it } from 'vitest';
import { SessionKitError, SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { complianceTarget, ioredisLikeClients, useRedis } from './helpers.js';

/**
 * iovalkey, the ioredis fork maintained for Valkey, goes through the ioredis path of the client
 * seam (same API: call, pipeline, defineCommand). Run against redis-server, which speaks the
 * same protocol as Valkey.
 */

const redis = useRedis();
/** Typed as ioredis's `Redis`, which the store's types name: iovalkey's classes are its own. */
const valkey = ioredisLikeClients(redis, (options: ValkeyOptions) => new Valkey(options));

runStoreCompliance('core FrameworkStore on an iovalkey client', async () =>
  complianceTarget(new FrameworkStore<TestSession>({ client: valkey(), touchAfter: 0 })),
);

describe('iovalkey', () => {
  it('is taken as an ioredis client and runs the per-user API', async () => {
    const store = new SessionStore<{ n: number }>({ client: valkey(), prefix: 'valkey:', revokeChunkSize: 2 });
    expect(store.redis.library).toBe('ioredis');
    for (const [i, id] of ['v1', 'v2', 'v3', 'v4'].entries()) await store.set(id, { n: i }, { userId: 'val', meta: { id } });
    expect((await store.listUserSessions('val')).map((s) => s.id).sort()).toEqual(['v1', 'v2', 'v3', 'v4'].map((id) => store.sessionHandle(id)).sort());
    expect(await store.invalidateAllUserSessions('val', { except: 'v1' })).toBe(3);
    expect(await store.get('v2')).toBeNull();
    expect(await store.get('v1')).toMatchObject({ data: { n: 0 }, userId: 'val' });
    expect(await store.revokeUserSession('val', 'v1')).toBe(true);
  });

  it("its keyPrefix is refused as ioredis's is", () => {
    expect(() => new SessionStore({ client: valkey({ keyPrefix: 'app:' }) })).toThrow(SessionKitError);
  });
});
