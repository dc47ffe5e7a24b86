import { describe, expect, it } from 'vitest';
import { FrameworkStore, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { nodeRedisVariants, runStoreCompliance, useRedisTls, type TestSession } from '@sessionkit/testing';
import { complianceTarget } from './helpers.js';

// TLS to Redis on node-redis (`socket: { tls: true, ca }`, or a rediss:// url): the same server
// setup as tls.test.ts, whose listener speaks only TLS, so a client that works here spoke TLS.
const redis = useRedisTls();
const asClient = (client: unknown) => client as SessionStoreOptions['client'];

describe.each(nodeRedisVariants)('$name over TLS', (variant) => {
  runStoreCompliance(`core FrameworkStore on ${variant.name} over TLS`, async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: asClient(await redis.nodeRedis(variant)), prefix: `tls${variant.major}:`, touchAfter: 0 })),
  );

  it('the per-user index, listing and chunked logout-everywhere work over TLS', async () => {
    const store = new SessionStore({ client: asClient(await redis.nodeRedis(variant)), prefix: `tls-idx${variant.major}:`, revokeChunkSize: 200 });
    const ids = Array.from({ length: 450 }, (_, i) => `s${i}`);
    await Promise.all(ids.map((id) => store.set(id, { n: id }, { userId: 'alice', meta: { ua: 'test' } })));
    await store.set('bob-1', { n: 'b' }, { userId: 'bob' });
    expect(await store.countUserSessions('alice')).toBe(450);
    expect((await store.get('s7'))?.data).toEqual({ n: 's7' });
    expect(await store.invalidateAllUserSessions('alice', { except: 's0' })).toBe(449);
    expect((await store.listUserSessions('alice')).map((s) => s.id)).toEqual(['s0']);
    expect(await store.get('s1')).toBeNull();
    expect(await store.countUserSessions('bob')).toBe(1);
  });
});
