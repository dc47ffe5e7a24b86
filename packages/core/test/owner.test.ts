import { describe, expect, it } from 'vitest';
import { SessionKitError } from '@sessionkit/core';
import { FrameworkStore, type CookieSession } from '@sessionkit/core/toolkit';
import { sessionExpiringIn } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof FrameworkStore>[0]> = {}) =>
  new FrameworkStore<CookieSession>({ client: redis.client(), prefix: `owner${++n}:`, ...options });

describe('finding the owner of a session', () => {
  it("recognises Passport's session.passport.user (string or number) by default", async () => {
    const store = fresh();
    // What passport 0.7's req.login() leaves in the session, serializeUser having returned the id.
    await store.set('p1', sessionExpiringIn(60_000, { passport: { user: 'u-17' } }));
    await store.set('p2', sessionExpiringIn(60_000, { passport: { user: 42 } }));
    await store.set('p3', sessionExpiringIn(60_000, { passport: { user: 42 } }));
    expect(await store.countUserSessions('u-17')).toBe(1);
    expect(await store.countUserSessions(42)).toBe(2);
    expect(await store.invalidateAllUserSessions(42)).toBe(2);
    expect(await store.get('p2')).toBeNull();
  });

  it('keeps the order userId, user.id, passport.user, and leaves other shapes anonymous', async () => {
    const store = fresh();
    expect(store.userIdOf({ userId: 'a', user: { id: 'b' }, passport: { user: 'c' } })).toBe('a');
    expect(store.userIdOf({ user: { id: 'b' }, passport: { user: 'c' } })).toBe('b');
    expect(store.userIdOf({ user: { name: 'no id' }, passport: { user: 'c' } })).toBe('c');
    // A whole user object serialized into Passport's slot: not an id we can know, so anonymous (no error from the default).
    expect(store.userIdOf({ passport: { user: { id: 1, name: 'x' } } })).toBeUndefined();
    expect(store.userIdOf({ passport: null, user: null })).toBeUndefined();
    expect(store.userIdOf({ passport: {} })).toBeUndefined();
    // What is not an id at one place (NaN, Infinity, '') does not stop the search: the next place is read.
    expect(store.userIdOf({ userId: Number.NaN, user: { id: Number.POSITIVE_INFINITY }, passport: { user: 'c' } })).toBe('c');
    expect(store.userIdOf({ userId: '', user: { id: 5 } })).toBe('5');
    expect(store.userIdOf({ userId: Number.NaN })).toBeUndefined();
  });

  it('refuses, at the first save, a custom finder that returns neither a string, a number nor null', async () => {
    const store = fresh({ userId: (s) => s.account as never });
    const error = await store.set('bad', sessionExpiringIn(60_000, { account: { id: 7 } })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SessionKitError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_USER_ID' });
    expect((error as Error).message).toMatch(/userId option returned an object; it must return the owner's id as a string or a number/);
    // The user's data is not quoted in the message.
    expect((error as Error).message).not.toContain('7');
    // Nothing was stored as anonymous.
    expect(await store.core.get('bad')).toBeNull();
    for (const value of [true, ['x'], () => 'x', Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(() => fresh({ userId: () => value as never }).userIdOf({})).toThrow(/ERR_INVALID_USER_ID|userId option returned/);
    }
    // Null, undefined and '' are anonymous, as before.
    for (const value of [null, undefined, '']) expect(fresh({ userId: () => value }).userIdOf({})).toBeUndefined();
  });
});
