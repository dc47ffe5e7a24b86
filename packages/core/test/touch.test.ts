import { describe, expect, it } from 'vitest';
import { sleep, ioredisOf, storeClients, useFreshStores } from './helpers.js';

const { freshOn } = useFreshStores('touch');

describe.each(storeClients)('touch on %s', (kind) => {
  const fresh = freshOn(kind);
  it('slides the expiry to now + ttl in ms and records lastSeenAt', async () => {
    const store = fresh();
    const { expiresAt: before } = await store.set('s', { a: 1 }, { ttl: 300, userId: 'u' });
    await sleep(200);
    const after = await store.touch('s', { ttl: 300 });
    expect(after).toBeGreaterThan(before! + 150);
    await sleep(200);
    const record = await store.get('s');
    expect(record).not.toBeNull();
    expect(record!.expiresAt).toBe(after);
    expect(record!.lastSeenAt).toBeGreaterThan(record!.createdAt);
    const pttl = await ioredisOf(store).pttl(store.keys.session('s'));
    expect(pttl).toBeLessThanOrEqual(300);
    // The index entry follows the new expiry, so pruning cannot drop a live session.
    expect(Number(await ioredisOf(store).zscore(store.keys.index('u'), store.keys.member('s')))).toBe(after);
  });

  it('is capped by the absolute timeout', async () => {
    const store = fresh({ absoluteTimeout: 1000 }); // the shortest accepted: a shorter one is taken for a unit mistake
    const { createdAt } = await store.set('abs', {}, { ttl: 100_000 });
    expect(await store.touch('abs', { ttl: 100_000 })).toBe(createdAt! + 1000);
    await sleep(1050);
    expect(await store.touch('abs', { ttl: 100_000 })).toBeNull();
    expect(await store.get('abs')).toBeNull();
  });

  it('returns null for a missing, expired or destroyed session and creates nothing', async () => {
    const store = fresh();
    expect(await store.touch('none')).toBeNull();
    expect(await ioredisOf(store).exists(store.keys.session('none'))).toBe(0);
    await store.set('d', {});
    await store.destroy('d');
    expect(await store.touch('d')).toBeNull();
    expect(await store.get('d')).toBeNull();
  });

  it('with ttl <= 0 deletes the session and its index entry', async () => {
    const store = fresh();
    await store.set('z', {}, { userId: 'u' });
    expect(await store.touch('z', { ttl: 0 })).toBeNull();
    expect(await store.get('z')).toBeNull();
    expect(await store.countUserSessions('u')).toBe(0);
  });

  it('slides a plain string written by connect-redis', async () => {
    const store = fresh();
    await ioredisOf(store).set(store.keys.session('legacy'), '{"a":1}', 'PX', 100);
    expect(await store.touch('legacy', { ttl: 5000 })).not.toBeNull();
    expect(await ioredisOf(store).pttl(store.keys.session('legacy'))).toBeGreaterThan(4000);
    expect(await store.touch('legacy', { ttl: -1 })).toBeNull();
    expect(await ioredisOf(store).exists(store.keys.session('legacy'))).toBe(0);
  });
});
