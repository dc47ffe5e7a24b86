import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { useRedis, ioredisOf } from './helpers.js';

const redis = useRedis();

/** Strings that stress key layout: glob and tag characters, separators, unicode, control bytes. */
const hostile = fc.oneof(
  fc.string({ unit: fc.constantFrom('*', '?', '[', ']', '{', '}', ':', '\\', ' ', '%', '^', '-', 'a'), minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }),
  fc.string({ minLength: 900, maxLength: 1024 }),
);

/**
 * What the store gives back for a value: its JSON round trip (-0 becomes 0, like any JSON store)
 * without `__proto__`, `constructor` and `prototype` keys, which the default serializer drops on
 * purpose (docs/core.md). Written out here rather than calling the serializer, so that the test
 * checks the contract and not the implementation against itself.
 */
function expectedBack(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value) ?? 'null', (key, v) => (key === '__proto__' || key === 'constructor' || key === 'prototype' ? undefined : v));
}

/** Well-formed strings only: lone surrogates are refused (see set.test.ts), since UTF-8 cannot keep them apart. */
const hostileId = hostile.filter((s) => s.isWellFormed());

describe('property: hostile ids, user ids and payloads against a real Redis', () => {
  it('distinct ids never collide, every id round-trips, and ids() returns exactly the written set', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.record({ id: hostileId, userId: hostileId, payload: fc.jsonValue({ maxDepth: 3 }) }), {
          selector: (r) => r.id,
          minLength: 1,
          maxLength: 12,
        }),
        async (sessions) => {
          const store = new SessionStore({ client: redis.client(), prefix: `prop${++run}*[x]:` });
          for (const { id, userId, payload } of sessions) {
            const result = await store.set(id, { payload }, { userId });
            expect(result.stored).toBe(true);
          }
          for (const { id, userId, payload } of sessions) {
            const record = await store.get(id);
            expect(record!.data).toEqual(expectedBack({ payload }));
            expect(record!.userId).toBe(userId);
          }
          expect((await store.ids()).sort()).toEqual(sessions.map((s) => store.sessionHandle(s.id)).sort());
          // Each user's index holds exactly that user's sessions.
          const byUser = new Map<string, string[]>();
          for (const s of sessions) byUser.set(s.userId, [...(byUser.get(s.userId) ?? []), s.id]);
          for (const [userId, ids] of byUser) {
            expect((await store.listUserSessions(userId)).map((x) => x.id).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
          }
          // Logging one user out touches nobody else.
          const [victim, ids] = [...byUser][0]!;
          expect(await store.invalidateAllUserSessions(victim)).toBe(ids.length);
          expect(await store.length()).toBe(sessions.length - ids.length);
          await store.clear();
          expect(await ioredisOf(store).keys(`prop${run}*`)).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects or stores any payload without crashing, and never leaves a partial write', async () => {
    const store = new SessionStore({ client: redis.client(), prefix: 'payload:', maxPayloadBytes: 4096 });
    await fc.assert(
      fc.asyncProperty(fc.anything({ withBigInt: true, withMap: true, withSet: true, withTypedArray: true }), async (value) => {
        const outcome = await store.set('p', value).then(
          (r) => ({ ok: r.stored }),
          (e: { code?: string }) => ({ code: e.code }),
        );
        if ('code' in outcome) {
          expect(['ERR_SERIALIZE', 'ERR_PAYLOAD_TOO_LARGE']).toContain(outcome.code);
          expect(await store.get('p')).toBeNull();
        } else {
          expect(outcome.ok).toBe(true);
          expect((await store.get('p'))!.data).toEqual(expectedBack(value));
        }
        await ioredisOf(store).del(store.keys.session('p'));
      }),
      { numRuns: 200 },
    );
  });
});
