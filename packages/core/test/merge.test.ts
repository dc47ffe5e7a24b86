import { describe, expect, it } from 'vitest';
import { FrameworkStore, type CookieSession } from '@sessionkit/core';
import { sessionExpiringIn } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof FrameworkStore<CookieSession>>[0]> = {}) =>
  new FrameworkStore<CookieSession>({ client: redis.client(), prefix: `merge${++n}:`, ...options });

describe('concurrent saves merge (FrameworkStore)', () => {
  it('two requests that loaded the same version keep both changes', async () => {
    const store = fresh();
    await store.set('s', sessionExpiringIn(60_000, { userId: 'u', a: 1 }));
    const first = (await store.get('s'))!;
    const second = (await store.get('s'))!;
    first.b = 2;
    second.c = 3;
    delete second.a;
    await store.set('s', first);
    await store.set('s', second);
    const stored = (await store.get('s'))!;
    expect(stored).toMatchObject({ userId: 'u', b: 2, c: 3 });
    expect(stored).not.toHaveProperty('a');
  });
});
