import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sessionHandle } from './records.js';

/** A session as the frameworks hand it to a store: data plus a cookie with an optional expiry. */
export interface TestSession {
  cookie: { expires?: string | null; originalMaxAge?: number | null; [key: string]: unknown };
  [key: string]: unknown;
}

/** The promise-shaped store contract every adapter is wrapped into for the compliance suite. */
export interface ComplianceStore {
  get(id: string): Promise<TestSession | null>;
  set(id: string, session: TestSession): Promise<void>;
  destroy(id: string): Promise<void>;
  touch?(id: string, session: TestSession): Promise<void>;
  ids(): Promise<string[]>;
  all(): Promise<unknown[]>;
  length(): Promise<number>;
  clear(): Promise<void>;
}

export interface ComplianceTarget {
  store: ComplianceStore;
  /** Ends what setup started; nothing by default. */
  teardown?(): Promise<void>;
}

/**
 * The contract's listing and clearing calls for a store or engine that has them under the same
 * names (every SessionKit store and engine does).
 */
export function listingCalls(store: { ids(): Promise<string[]>; all(): Promise<unknown[]>; length(): Promise<number>; clear(): Promise<unknown> }) {
  return {
    ids: () => store.ids(),
    all: () => store.all(),
    length: () => store.length(),
    clear: async () => void (await store.clear()),
  };
}

/** What cookielessComplianceStore calls: a FrameworkStore (the toolkit's), as the Hono middleware and the Next kit hold it. */
export interface CookielessEngine {
  load(id: string, shape: { noCookie: true }): Promise<{ session: unknown } | null>;
  set(id: string, session: TestSession, hints: { ttl: number; unchanged?: 'compare'; existing?: boolean }): Promise<unknown>;
  destroy(id: string): Promise<unknown>;
  ids(): Promise<string[]>;
  all(): Promise<unknown[]>;
  length(): Promise<number>;
  clear(): Promise<unknown>;
}

/**
 * A FrameworkStore as the suite takes it when its caller keeps no cookie in the data (the Hono
 * middleware, the Next kit), called as that caller calls it: a load with no cookie in the data, a
 * save with the TTL (from the suite's `cookie.expires`, which stays app data), and a touch as an
 * unchanged save that compares and slides; `touch.existing` as the Next kit asks it (never writes
 * a session that is gone).
 */
export function cookielessComplianceStore(engine: CookielessEngine, touch: { existing?: true } = {}): ComplianceStore {
  const ttlOf = (s: TestSession) => (s.cookie?.expires ? Date.parse(String(s.cookie.expires)) - Date.now() : 86_400_000);
  return {
    get: async (id) => ((await engine.load(id, { noCookie: true }))?.session as TestSession | undefined) ?? null,
    set: async (id, s) => void (await engine.set(id, s, { ttl: ttlOf(s) })),
    touch: async (id, s) => void (await engine.set(id, s, { unchanged: 'compare', ...touch, ttl: ttlOf(s) })),
    destroy: async (id) => void (await engine.destroy(id)),
    ...listingCalls(engine),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function sessionExpiringIn(ms: number, data: Record<string, unknown> = {}): TestSession {
  return { cookie: { originalMaxAge: ms, expires: new Date(Date.now() + ms).toISOString(), path: '/', httpOnly: true }, ...data };
}

/**
 * The behaviour every SessionKit store must show, whatever framework it serves. `setup` runs
 * once per suite and must give a store with touch throttling off (touchAfter: 0), so that a
 * touch is always visible.
 */
export function runStoreCompliance(name: string, setup: () => Promise<ComplianceTarget>): void {
  describe(`store compliance: ${name}`, () => {
    let target: ComplianceTarget;
    let store: ComplianceStore;

    beforeAll(async () => {
      target = await setup();
      store = target.store;
    });
    afterAll(async () => {
      await target?.teardown?.();
    });
    beforeEach(async () => {
      await store.clear();
    });

    it('returns null for an unknown id', async () => {
      expect(await store.get('no-such-session')).toBeNull();
    });

    it('stores and returns the data, as a fresh object each time', async () => {
      await store.set('s1', sessionExpiringIn(60_000, { userName: 'ann', cart: [1, 2, { n: 'é ✓' }] }));
      const first = await store.get('s1');
      expect(first).toMatchObject({ userName: 'ann', cart: [1, 2, { n: 'é ✓' }] });
      (first as TestSession).userName = 'mutated';
      expect((await store.get('s1'))?.userName).toBe('ann');
    });

    it('overwrites on a second set', async () => {
      await store.set('s1', sessionExpiringIn(60_000, { v: 1 }));
      await store.set('s1', sessionExpiringIn(60_000, { v: 2 }));
      expect((await store.get('s1'))?.v).toBe(2);
      expect(await store.length()).toBe(1);
    });

    it('destroys, and destroying an unknown id is not an error', async () => {
      await store.set('s1', sessionExpiringIn(60_000));
      await store.destroy('s1');
      expect(await store.get('s1')).toBeNull();
      await expect(store.destroy('never-existed')).resolves.toBeUndefined();
    });

    it('does not store a session whose cookie has already expired', async () => {
      await store.set('gone', sessionExpiringIn(-1000));
      expect(await store.get('gone')).toBeNull();
      expect(await store.ids()).not.toContain(sessionHandle('gone'));
    });

    it('expires a session when its cookie expires', async () => {
      await store.set('short', sessionExpiringIn(300));
      expect(await store.get('short')).not.toBeNull();
      await sleep(450);
      expect(await store.get('short')).toBeNull();
    });

    it('touch extends the expiry, and a later get shows the new cookie expiry', async (ctx) => {
      if (!store.touch) return ctx.skip();
      const session = sessionExpiringIn(400, { n: 1 });
      await store.set('t', session);
      const loaded = (await store.get('t'))!;
      const newExpiry = new Date(Date.now() + 10_000).toISOString();
      loaded.cookie.expires = newExpiry;
      await store.touch('t', loaded);
      await sleep(600);
      const after = await store.get('t');
      expect(after).not.toBeNull();
      // The ttl is taken from Date.now() when touch runs and applied on Redis's clock when the
      // script runs: on a loaded machine the two are apart by more than a few ms. 250 ms still
      // tells the new expiry (+10 s) from the old one (+0.4 s).
      expect(Math.abs(Date.parse(String(after!.cookie.expires)) - Date.parse(newExpiry))).toBeLessThan(250);
    });

    it('touch does not bring back a destroyed session', async (ctx) => {
      if (!store.touch) return ctx.skip();
      await store.set('t2', sessionExpiringIn(60_000));
      await store.destroy('t2');
      await store.touch('t2', sessionExpiringIn(60_000));
      expect(await store.get('t2')).toBeNull();
    });

    it('keeps ids with glob, hash-tag, separator, space and non-ASCII characters apart', async () => {
      const ids = ['a*', 'a?', 'a[b]', '{tag}x', 'x:y', 'with space', 'ünï©ødé', '\\', '*'];
      for (const [i, id] of ids.entries()) await store.set(id, sessionExpiringIn(60_000, { i }));
      for (const [i, id] of ids.entries()) expect((await store.get(id))?.i).toBe(i);
      // ids() names each session by what its key holds: the id's handle (hashed ids), never the id.
      expect((await store.ids()).sort()).toEqual(ids.map(sessionHandle).sort());
      expect(await store.length()).toBe(ids.length);
      await store.destroy('*');
      expect(await store.get('a*')).not.toBeNull();
      expect(await store.length()).toBe(ids.length - 1);
    });

    it('lists every session with all(), ids() and length(), and clear() removes them', async () => {
      for (let i = 0; i < 25; i++) await store.set(`id-${i}`, sessionExpiringIn(60_000, { i }));
      expect(await store.length()).toBe(25);
      expect((await store.ids()).sort()).toEqual(Array.from({ length: 25 }, (_, i) => sessionHandle(`id-${i}`)).sort());
      const all = (await store.all()) as { i: number }[];
      expect(all.map((s) => s.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i));
      await store.clear();
      expect(await store.length()).toBe(0);
      expect(await store.get('id-3')).toBeNull();
    });

    it('handles concurrent writes to different ids independently', async () => {
      await Promise.all(Array.from({ length: 50 }, (_, i) => store.set(`c-${i}`, sessionExpiringIn(60_000, { i }))));
      const got = await Promise.all(Array.from({ length: 50 }, (_, i) => store.get(`c-${i}`)));
      for (const [i, s] of got.entries()) expect(s?.i).toBe(i);
    });
  });
}
