import { AsyncLocalStorage } from 'node:async_hooks';
import diagnostics from 'node:diagnostics_channel';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { hashId, type OperationContext, SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { ioredisOf, useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;
// legacyKeys: false, the figures of a deployment with no plain-id session left: with it on, a miss
// and a new session's save cost a command more each (get.test.ts and set.test.ts count them).
const fresh = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) =>
  new SessionStore({ client: redis.client(), prefix: `trace${++n}:`, legacyKeys: false, ...options });

const operations = ['get', 'set', 'touch', 'destroy', 'listUserSessions', 'revokeUserSession', 'invalidateAllUserSessions'] as const;

interface Seen {
  event: 'start' | 'end' | 'asyncStart' | 'asyncEnd' | 'error';
  ctx: OperationContext;
}

/** Subscribes to every operation's channel; `done()` is the contexts as asyncEnd saw them (copies). */
function listen(extra: { start?: (ctx: OperationContext) => void } = {}) {
  const seen: Seen[] = [];
  const ended: OperationContext[] = [];
  const handlers = operations.map((name) => {
    const channel = diagnostics.tracingChannel<unknown, OperationContext>(`sessionkit:${name}`);
    const handler = {
      start: (ctx: OperationContext) => {
        seen.push({ event: 'start', ctx });
        extra.start?.(ctx);
      },
      end: (ctx: OperationContext) => void seen.push({ event: 'end', ctx }),
      asyncStart: (ctx: OperationContext) => void seen.push({ event: 'asyncStart', ctx }),
      asyncEnd: (ctx: OperationContext) => {
        seen.push({ event: 'asyncEnd', ctx });
        ended.push({ ...ctx });
      },
      error: (ctx: OperationContext) => void seen.push({ event: 'error', ctx }),
    };
    channel.subscribe(handler);
    return () => channel.unsubscribe(handler);
  });
  stops.push(() => {
    for (const stop of handlers) stop();
  });
  return {
    seen,
    ended,
    take() {
      const out = ended.splice(0);
      seen.splice(0);
      return out;
    },
  };
}

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

const brief = ({ operation, outcome, roundTrips, retries, conflicts, evicted, count, idHash, userId }: OperationContext) => ({
  operation,
  outcome,
  roundTrips,
  retries,
  conflicts,
  evicted,
  ...(count === undefined ? {} : { count }),
  ...(idHash === undefined ? {} : { idHash }),
  ...(userId === undefined ? {} : { userId }),
});

describe('sessionkit:<operation> tracing channels', () => {
  it('nothing is published and no context is built while nobody subscribes', async () => {
    const store = fresh();
    for (const name of operations) expect(diagnostics.tracingChannel(`sessionkit:${name}`).start.hasSubscribers).toBe(false);
    await store.set('quiet-session-AAAAAAAAAAAAAAAAAAAAAA', { a: 1 });
    const listener = listen();
    expect(listener.ended).toEqual([]);
    await store.get('quiet-session-AAAAAAAAAAAAAAAAAAAAAA');
    expect(listener.take().map((ctx) => ctx.operation)).toEqual(['get']);
  });

  it('SessionStore: each operation once, with its outcome, round trips and hashed session tag', async () => {
    const store = fresh({ maxSessionsPerUser: 2 });
    const [a, b, c, d] = [
      'trace-a-AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'trace-b-BBBBBBBBBBBBBBBBBBBBBBBBBBBB',
      'trace-c-CCCCCCCCCCCCCCCCCCCCCCCCCCCC',
      'trace-d-DDDDDDDDDDDDDDDDDDDDDDDDDDDD',
    ];
    await store.get(a); // the first read also asks Redis's clock; later ones send one GET
    const listener = listen();

    const written = await store.set(a, { n: 1 }, { userId: 'ann', ttl: 10_000 });
    expect(await store.get(a)).not.toBeNull();
    expect(await store.get(b)).toBeNull();
    expect(await store.touch(a, { userId: 'ann', ttl: 10_000 })).toBeGreaterThan(0);
    expect(await store.touch(b)).toBeNull();
    expect((await store.set(a, { n: 2 }, { userId: 'ann', ifVersion: written.version! - 1 })).reason).toBe('conflict');
    await store.set(b, { n: 1 }, { userId: 'ann', ttl: 20_000 });
    await store.set(c, { n: 1 }, { userId: 'ann', ttl: 30_000 }); // evicts a, nearest expiry
    expect(await store.listUserSessions('ann')).toHaveLength(2);
    expect(await store.revokeUserSession('ann', b)).toBe(true);
    expect(await store.revokeUserSession('ann', b)).toBe(false);
    expect((await store.set(b, { late: true }, { userId: 'ann' })).reason).toBe('revoked');
    expect(await store.destroy(c, { userId: 'ann' })).toBe(true);
    expect(await store.destroy(c)).toBe(false);
    await store.set(d, { n: 3 }, { userId: 'bob' });
    expect(await store.invalidateAllUserSessions('bob')).toBe(1);

    const tag = { a: hashId(a), b: hashId(b), c: hashId(c), d: hashId(d) };
    const zero = { retries: 0, conflicts: 0, evicted: 0 };
    expect(listener.take().map(brief)).toEqual([
      { operation: 'set', outcome: 'stored', roundTrips: 1, ...zero, idHash: tag.a, userId: 'ann' },
      { operation: 'get', outcome: 'hit', roundTrips: 1, ...zero, idHash: tag.a },
      { operation: 'get', outcome: 'miss', roundTrips: 1, ...zero, idHash: tag.b },
      { operation: 'touch', outcome: 'touched', roundTrips: 1, ...zero, idHash: tag.a, userId: 'ann' },
      { operation: 'touch', outcome: 'absent', roundTrips: 1, ...zero, idHash: tag.b },
      { operation: 'set', outcome: 'conflict', roundTrips: 1, ...zero, conflicts: 1, idHash: tag.a, userId: 'ann' },
      { operation: 'set', outcome: 'stored', roundTrips: 1, ...zero, idHash: tag.b, userId: 'ann' },
      { operation: 'set', outcome: 'stored', roundTrips: 1, ...zero, evicted: 1, idHash: tag.c, userId: 'ann' },
      // The index, then the two sessions' heads (one batch on the wire, counted as sent).
      { operation: 'listUserSessions', outcome: 'done', roundTrips: 3, ...zero, count: 2, userId: 'ann' },
      // Two scripts at once: what it is given may be a listed handle or a session id, and each is tried.
      { operation: 'revokeUserSession', outcome: 'revoked', roundTrips: 2, ...zero, count: 1, idHash: tag.b, userId: 'ann' },
      { operation: 'revokeUserSession', outcome: 'absent', roundTrips: 2, ...zero, count: 0, idHash: tag.b, userId: 'ann' },
      { operation: 'set', outcome: 'revoked', roundTrips: 1, ...zero, idHash: tag.b, userId: 'ann' },
      { operation: 'destroy', outcome: 'revoked', roundTrips: 1, ...zero, count: 1, idHash: tag.c, userId: 'ann' },
      { operation: 'destroy', outcome: 'absent', roundTrips: 1, ...zero, count: 0, idHash: tag.c },
      { operation: 'set', outcome: 'stored', roundTrips: 1, ...zero, idHash: tag.d, userId: 'bob' },
      { operation: 'invalidateAllUserSessions', outcome: 'done', roundTrips: 1, ...zero, count: 1, userId: 'bob' },
    ]);
  });

  it('events in TracingChannel order; a failure publishes error with outcome error, a refused save outcome limit', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'trace-noscripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
    const refused = new SessionStore({ client: redis.client({ username: 'trace-noscripts', password: 'pw' }), prefix: 'trace-acl:' });
    const limited = fresh({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await limited.set('limit-one-AAAAAAAAAAAAAAAAAAAAAAAA', {}, { userId: 'ann' });
    const listener = listen();

    await expect(refused.set('refused-session-AAAAAAAAAAAAAAAAAA', { a: 1 })).rejects.toThrow(/NOPERM/);
    expect(listener.seen.map((s) => s.event)).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(listener.seen.every((s) => s.ctx === listener.seen[0]!.ctx)).toBe(true);
    const [failed] = listener.take();
    expect(failed!.outcome).toBe('error');
    expect((failed!.error as Error).name).toBe('RedisOperationError');

    await expect(limited.set('limit-two-BBBBBBBBBBBBBBBBBBBBBBBB', {}, { userId: 'ann' })).rejects.toThrow(/maxSessionsPerUser/);
    expect(listener.take().map((ctx) => ctx.outcome)).toEqual(['limit']);

    await refused.get('refused-session-AAAAAAAAAAAAAAAAAA');
    expect(listener.seen.map((s) => s.event)).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
  });

  it('a corrupt record makes the read corrupt; store events are published on sessionkit:<event>', async () => {
    const store = fresh();
    const id = 'corrupt-session-DDDDDDDDDDDDDDDDDDDDDD';
    await ioredisOf(store).set(store.keys.session(id), `{"cookie": "${id}`);
    const events: unknown[] = [];
    const onCorrupt = (message: unknown) => void events.push(message);
    diagnostics.subscribe('sessionkit:corrupt', onCorrupt);
    stops.push(() => diagnostics.unsubscribe('sessionkit:corrupt', onCorrupt));
    await store.get('other-session-AAAAAAAAAAAAAAAAAAAAA'); // the clock's first sync out of the way
    const listener = listen();
    expect(await store.get(id)).toBeNull();
    expect(listener.take().map(brief)).toEqual([
      { operation: 'get', outcome: 'corrupt', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, idHash: hashId(id) },
    ]);
    expect(events).toHaveLength(1);
    expect((events[0] as unknown[])[1]).toEqual({ idHash: hashId(id) });
  });

  it('FrameworkStore: a save is one set, with its merge retries and conflicts; its reads and touches once each', async () => {
    // The unchanged save and the touch below must be skipped by the throttle whatever the machine's
    // load: touchAfter well above the test's length, and a cookie with no expiry, so the ttl is the
    // store's constant one and the computed expiry only moves forward, by the time since the last
    // write. With a fixed cookie expiry the ttl shrinks as time passes, the target lands behind the
    // stored expiry by the merged save's whole duration, and a save slower than the 1 s shorten
    // tolerance (a loaded CI machine) sent a touch; with touchAfter 0, any 1 ms move did.
    const store = new FrameworkStore({ client: redis.client(), prefix: `trace-fw${++n}:`, touchAfter: 60_000, legacyKeys: false });
    const sid = 'framework-session-EEEEEEEEEEEEEEEEEEEEE';
    const cookie = () => ({ originalMaxAge: null });
    await store.set(sid, { cookie: cookie(), userId: 'ann', cart: [] });
    await store.get(sid); // the clock's first sync out of the way
    const listener = listen();

    const one = (await store.load(sid))!;
    const two = (await store.load(sid))!;
    one.session.cart = ['apple'];
    await store.set(sid, one.session);
    two.session.wish = 'pear';
    await store.set(sid, two.session); // conflicts with the first save, merges, writes
    await store.set(sid, two.session, { unchanged: true }); // nothing to write
    await store.touch(sid, two.session); // the cookie's expiry has not moved: nothing to send
    await store.destroy(sid);
    expect(await store.get(sid)).toBeNull();

    const tag = hashId(sid);
    expect(listener.take().map(brief)).toEqual([
      { operation: 'get', outcome: 'hit', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, idHash: tag },
      { operation: 'get', outcome: 'hit', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, idHash: tag },
      { operation: 'set', outcome: 'stored', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, idHash: tag, userId: 'ann' },
      { operation: 'set', outcome: 'merged', roundTrips: 2, retries: 1, conflicts: 1, evicted: 0, idHash: tag, userId: 'ann' },
      { operation: 'set', outcome: 'unchanged', roundTrips: 0, retries: 0, conflicts: 0, evicted: 0, idHash: tag, userId: 'ann' },
      { operation: 'touch', outcome: 'skipped', roundTrips: 0, retries: 0, conflicts: 0, evicted: 0, idHash: tag, userId: 'ann' },
      { operation: 'destroy', outcome: 'revoked', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, count: 1, idHash: tag, userId: 'ann' },
      { operation: 'get', outcome: 'miss', roundTrips: 1, retries: 0, conflicts: 0, evicted: 0, idHash: tag },
    ]);
    expect(await store.get(sid)).toBeNull();
  });

  it('a start subscriber runs the operation in its own async context through ctx.scope', async () => {
    const store = fresh();
    const id = 'scoped-session-FFFFFFFFFFFFFFFFFFFFFF';
    await ioredisOf(store).set(store.keys.session(id), 'not a session');
    const als = new AsyncLocalStorage<string>();
    let inside: string | undefined;
    const onCorrupt = () => {
      inside = als.getStore();
    };
    diagnostics.subscribe('sessionkit:corrupt', onCorrupt);
    stops.push(() => diagnostics.unsubscribe('sessionkit:corrupt', onCorrupt));
    listen({
      start: (ctx) => {
        ctx.scope = (run) => als.run(`span of ${ctx.operation}`, run);
      },
    });
    expect(await store.get(id)).toBeNull();
    expect(inside).toBe('span of get');
  });

  it('contexts carry no session id and no session data', async () => {
    const store = fresh();
    const id = 'secret-session-id-GGGGGGGGGGGGGGGGGGG';
    const secret = 'csrf-token-HHHHHHHHHHHHHHHH';
    const listener = listen();
    await store.set(id, { secret }, { userId: 'ann' });
    await store.get(id);
    await store.listUserSessions('ann');
    await store.destroy(id);
    const text = inspect(
      listener.seen.map((s) => s.ctx),
      { depth: 10, showHidden: true },
    );
    expect(text).not.toContain(id);
    expect(text).not.toContain(secret);
    expect(listener.take()).toHaveLength(4);
  });
});
