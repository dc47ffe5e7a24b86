import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameworkStore, type CookieSession } from '@sessionkit/core/toolkit';
import { nodeRedisVariants, sessionExpiringIn, underBun } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof FrameworkStore<CookieSession>>[0]> = {}) =>
  new FrameworkStore<CookieSession>({ client: redis.client(), prefix: `merge${++n}:`, ...options });

/** Two requests load the same version; one adds a key, the other adds one and deletes one: all three changes are kept. */
async function twoRequestsKeepBothChanges(store: FrameworkStore<CookieSession>): Promise<void> {
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
}

describe('concurrent saves merge (FrameworkStore)', () => {
  it('two requests that loaded the same version keep both changes', () => twoRequestsKeepBothChanges(fresh()));
});

describe.each(nodeRedisVariants)('concurrent saves merge on $name', (variant) => {
  it('two requests that loaded the same version keep both changes, and a deletion', async () =>
    twoRequestsKeepBothChanges(new FrameworkStore<CookieSession>({ client: await redis.nodeRedis(variant), prefix: `merge-nr${++n}:` })));
});

// On the Bun runtime only (npm run test:bun): Bun's own RedisClient.
describe.runIf(underBun)("concurrent saves merge on Bun's RedisClient", () => {
  it('two requests that loaded the same version keep both changes, and a deletion', async () =>
    twoRequestsKeepBothChanges(new FrameworkStore<CookieSession>({ client: await redis.bun(), prefix: `merge-bun${++n}:` })));
});

describe("the save path's framework contract", () => {
  it('a cookie whose expiry is an invalid Date saves with the ttl option, for the framework to report the cookie itself', async () => {
    const store = fresh({ ttl: 120 });
    const session = sessionExpiringIn(60_000, { userId: 'u' });
    (session.cookie as { expires: unknown }).expires = new Date(Number.NaN);
    await store.set('bad-date', session);
    const ttl = await (store.core.client as unknown as { pttl(key: string): Promise<number> }).pttl(store.core.keys.session('bad-date'));
    expect(ttl).toBeGreaterThan(110_000);
    expect(ttl).toBeLessThanOrEqual(120_000);
  });
});

describe('merging by serialized form', () => {
  it('a Date equal to the stored ISO string is no change, so another save of that key is kept', async () => {
    const store = fresh();
    const t = Date.UTC(2026, 0, 1);
    await store.set('d', sessionExpiringIn(60_000, { at: new Date(t) }));
    const a = (await store.get('d'))!;
    const b = (await store.get('d'))!;
    a.at = new Date(t); // what the app re-assigns, serializing exactly as stored
    a.x = 1;
    b.at = new Date(t + 1000).toISOString();
    await store.set('d', b);
    await store.set('d', a);
    expect(await store.get('d')).toMatchObject({ at: new Date(t + 1000).toISOString(), x: 1 });
  });

  it('a save after revocation is refused even when it conflicts', async () => {
    const store = fresh();
    await store.set('r', sessionExpiringIn(60_000, { userId: 'u' }));
    const a = (await store.get('r'))!;
    const b = (await store.get('r'))!;
    b.y = 2;
    await store.set('r', b);
    await store.invalidateAllUserSessions('u');
    a.x = 1;
    await store.set('r', a);
    expect(await store.get('r')).toBeNull();
  });
});

describe('concurrent saves against a sequential model (fast-check)', () => {
  const keyArb = fc.constantFrom('a', 'b', 'c', 'd', 'e');
  const changeArb = fc.oneof(
    fc.record({
      op: fc.constant('set' as const),
      key: keyArb,
      value: fc.oneof(fc.integer(), fc.string(), fc.array(fc.integer(), { maxLength: 3 }), fc.constant([]), fc.constant({})),
    }),
    fc.record({ op: fc.constant('delete' as const), key: keyArb }),
  );
  // Each step: an actor loads (if it holds nothing) or saves its changes (if it holds a load).
  const stepArb = fc.record({ actor: fc.integer({ min: 0, max: 3 }), changes: fc.array(changeArb, { minLength: 1, maxLength: 3 }) });

  it('interleaved loads and saves end in the state the model predicts', async () => {
    const store = fresh();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 12 }), async (steps) => {
        const sid = `p${++round}`;
        const initial = { a: 1, b: 'two' };
        await store.set(sid, sessionExpiringIn(60_000, initial));
        // The model: what is stored, as JSON, and each actor's view when it loaded.
        let model: Record<string, unknown> = JSON.parse(JSON.stringify(initial));
        const held = new Map<number, { session: CookieSession; base: Record<string, unknown> }>();
        for (const { actor, changes } of steps) {
          const holding = held.get(actor);
          if (!holding) {
            held.set(actor, { session: (await store.get(sid))!, base: structuredClone(model) });
            continue;
          }
          held.delete(actor);
          const view = { ...holding.base };
          for (const change of changes) {
            if (change.op === 'set') {
              holding.session[change.key] = change.value;
              view[change.key] = change.value;
            } else {
              delete holding.session[change.key];
              delete view[change.key];
            }
          }
          await store.set(sid, holding.session);
          // The save's own changes relative to what it loaded, applied to the stored state.
          const next = { ...model };
          for (const key of new Set([...Object.keys(view), ...Object.keys(holding.base)])) {
            const before = JSON.stringify(holding.base[key]);
            if (JSON.stringify(view[key]) === before) continue;
            if (key in view) next[key] = JSON.parse(JSON.stringify(view[key]));
            else delete next[key];
          }
          model = next;
        }
        const { cookie: _cookie, ...stored } = (await store.get(sid))! as Record<string, unknown>;
        expect(stored).toEqual(model);
      }),
      { numRuns: 60 },
    );
  });
});

describe('a merging save that meets a connect-redis value (rolling deploy)', () => {
  it('merges onto the legacy value: its userId and data are kept beside this request’s change', async () => {
    const store = fresh();
    await store.set('roll', sessionExpiringIn(60_000, { userId: 'u', a: 1 }));
    const loaded = (await store.get('roll'))!;
    // Meanwhile an instance still on connect-redis saves the session: a plain JSON string.
    const legacy = { cookie: { originalMaxAge: 60_000, httpOnly: true, path: '/' }, userId: 'u', a: 1, cart: [7] };
    const raw = store.core.client as unknown as { set(key: string, value: string, px: 'PX', ms: number): Promise<unknown> };
    await raw.set(store.core.keys.session('roll'), JSON.stringify(legacy), 'PX', 60_000);
    loaded.b = 2;
    await store.set('roll', loaded);
    const stored = (await store.get('roll'))!;
    expect(stored).toMatchObject({ userId: 'u', a: 1, cart: [7], b: 2 });
    expect(await store.core.countUserSessions('u')).toBe(1);
  });
});
