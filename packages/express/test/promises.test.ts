import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, safeJsonSerializer, type Serializer } from '@sessionkit/express';
import { sessionHandle, sessionKey, useRedis } from './helpers.js';
import { collectUnhandledRejections } from '@sessionkit/testing';

/**
 * The store as code written for connect-redis 9 and 10 uses it: `await store.all()`,
 * `await store.destroy(sid)` (admin pages, "log out elsewhere"), and its public fields. With a
 * callback, as express-session calls it, nothing changes. connect-redis 9's own test file runs
 * against the store in connect-redis9-upstream.test.ts; this file covers what that one does not:
 * failures, callbacks, unawaited calls and the fields' values beyond the defaults.
 */

const redis = useRedis();
// Fails the file if a store call nobody awaited rejected.
const unhandled = collectUnhandledRejections();

const inAnHour = () => ({ originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000) });
/** Lets Node report an unhandled rejection, if there is one: it does so once the microtasks have run. */
const ticks = async () => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Every express-session method of the store, called without a callback. */
const calls = (store: RedisStore) => ({
  get: () => store.get('x'),
  set: () => store.set('x', { cookie: inAnHour() } as never),
  touch: () => store.touch('x', { cookie: inAnHour() } as never),
  destroy: () => store.destroy('x'),
  clear: () => store.clear(),
  length: () => store.length(),
  ids: () => store.ids(),
  all: () => store.all(),
});

describe('without a callback, each express-session method returns a promise, as connect-redis 9 and 10 do', () => {
  let store: RedisStore;
  let denied: RedisStore;

  beforeAll(async () => {
    const admin = redis.client();
    // A real server-side failure on every store command: reads, writes, SCAN and scripts are denied.
    await admin.call('ACL', 'SETUSER', 'nothing', 'on', '>pw', '~*', '&*', '+@all', '-@read', '-@write', '-@keyspace', '-@scripting');
    store = new RedisStore({ client: redis.client(), prefix: 'promises:' });
    denied = new RedisStore({ client: redis.client({ username: 'nothing', password: 'pw' }), prefix: 'denied:' });
  });
  afterAll(() => {
    store?.close();
    denied?.close();
  });

  it('settles once Redis has answered, with the result', async () => {
    const admin = redis.client();
    expect(await store.set('a', { cookie: inAnHour(), userId: 'alice', n: 1 } as never)).toBeUndefined();
    expect(await admin.exists(sessionKey('a', 'promises:'))).toBe(1);
    const session = await store.get('a');
    expect(session).toMatchObject({ userId: 'alice', n: 1 });
    expect(await store.touch('a', session!)).toBeUndefined();
    expect(await store.set('b', { cookie: inAnHour(), n: 2 } as never)).toBeUndefined();
    expect(await store.length()).toBe(2);
    expect((await store.ids()).sort()).toEqual(['a', 'b'].map(sessionHandle).sort());
    expect((await store.all()).map((s) => [s.id, s.n]).sort()).toEqual(
      [
        [sessionHandle('a'), 1],
        [sessionHandle('b'), 2],
      ].sort(),
    );
    expect(await store.destroy('a')).toBeUndefined();
    expect(await store.get('a')).toBeNull();
    expect(await store.ids()).toEqual([sessionHandle('b')]);
    expect(await store.clear()).toBeUndefined();
    expect(await store.length()).toBe(0);
    expect(await admin.keys('*promises:*')).toEqual([]);
  });

  it.each(Object.keys(calls(null as never)))('%s rejects with the Redis error, and no listener is needed', async (name) => {
    const call = calls(denied)[name as keyof ReturnType<typeof calls>];
    await expect(call()).rejects.toMatchObject({ code: 'ERR_REDIS', message: expect.stringMatching(/NOPERM/) });
  });

  it("a call left unawaited (as express-session's req.session.destroy() leaves it) reports to 'error' listeners, never as an unhandled rejection", async () => {
    void denied.destroy('x'); // no listener: dropped
    const reported = once(denied, 'error');
    void denied.destroy('x');
    const [error] = await reported;
    expect(error).toMatchObject({ code: 'ERR_REDIS' });
    await ticks();
    expect(unhandled).toEqual([]);
  });
});

describe('with a callback, as express-session calls the store, nothing changes', () => {
  let store: RedisStore;
  let denied: RedisStore;
  const reported: unknown[] = [];

  beforeAll(async () => {
    await redis.client().call('ACL', 'SETUSER', 'nothing2', 'on', '>pw', '~*', '&*', '+@all', '-@read', '-@write', '-@keyspace', '-@scripting');
    store = new RedisStore({ client: redis.client(), prefix: 'callbacks:' });
    denied = new RedisStore({ client: redis.client({ username: 'nothing2', password: 'pw' }), prefix: 'denied2:' });
    denied.on('error', (error) => reported.push(error));
  });
  afterAll(() => {
    store?.close();
    denied?.close();
  });

  it('the outcome goes to the callback only, on a later tick; the promise resolves with its return value once it has run', async () => {
    const seen: unknown[][] = [];
    const returned = store.get('missing', (...args) => {
      seen.push(args);
      return 'from the callback';
    });
    expect(seen).toEqual([]); // not called synchronously
    expect(await returned).toBe('from the callback');
    expect(seen).toEqual([[null, null]]);
  });

  it('a failure goes to the callback, not to the promise (which resolves) nor to the error event', async () => {
    for (const [name, call] of Object.entries({
      get: (cb: (err: unknown) => void) => denied.get('x', cb),
      set: (cb: (err: unknown) => void) => denied.set('x', { cookie: inAnHour() } as never, cb),
      touch: (cb: (err: unknown) => void) => denied.touch('x', { cookie: inAnHour() } as never, cb),
      destroy: (cb: (err: unknown) => void) => denied.destroy('x', cb),
      clear: (cb: (err: unknown) => void) => denied.clear(cb),
      length: (cb: (err: unknown) => void) => denied.length(cb),
      ids: (cb: (err: unknown) => void) => denied.ids(cb),
      all: (cb: (err: unknown) => void) => denied.all(cb),
    })) {
      const errors: unknown[] = [];
      await expect(
        call((err) => errors.push(err)),
        name,
      ).resolves.toBe(1); // push's return value
      expect(errors, name).toEqual([expect.objectContaining({ code: 'ERR_REDIS' })]);
    }
    await ticks();
    expect(reported).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

describe("connect-redis's public fields, read-only", () => {
  const make = (options: Partial<ConstructorParameters<typeof RedisStore>[0]> = {}) => new RedisStore({ client: redis.client(), ...options });

  it('default to what connect-redis has, except the serializer: the safe JSON in use', () => {
    const store = make();
    expect([store.ttl, store.disableTouch, store.disableTTL, store.scanCount]).toEqual([86_400, false, false, 100]);
    expect(store.serializer).toBe(safeJsonSerializer);
    store.close();
  });

  it('are the options given: ttl in seconds or the function, and the serializer in use', async () => {
    const serializer: Serializer = { stringify: JSON.stringify, parse: JSON.parse };
    const ttl = () => 30;
    const custom = make({ ttl, disableTouch: true, disableTTL: true, scanCount: 7, serializer, prefix: 'fields1:' });
    expect([custom.ttl, custom.disableTouch, custom.disableTTL, custom.scanCount, custom.serializer]).toEqual([ttl, true, true, 7, serializer]);
    expect(custom.serializer).toBe(serializer);
    custom.close();

    // `ttl` is the one the store applies, in seconds: a session without a cookie expiry lives that long.
    const seconds = make({ ttl: 600, prefix: 'fields2:' });
    expect(seconds.ttl).toBe(600);
    await seconds.set('s', { cookie: { originalMaxAge: null } } as never);
    const pttl = await redis.client().pttl(sessionKey('s', 'fields2:'));
    expect(pttl).toBeGreaterThan(300_000);
    expect(pttl).toBeLessThanOrEqual(600_000);
    seconds.close();
  });

  it('cannot be assigned: that would change nothing, so it throws', () => {
    const store = make();
    for (const field of ['ttl', 'disableTouch', 'disableTTL', 'scanCount', 'serializer']) {
      expect(() => {
        (store as unknown as Record<string, unknown>)[field] = 1;
      }, field).toThrow(TypeError);
    }
    expect(store.ttl).toBe(86_400);
    store.close();
  });
});
