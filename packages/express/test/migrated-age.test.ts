import type { SessionData } from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { sessionHandle, useRedis } from './helpers.js';

/**
 * docs/migrate-from-connect-redis.md, "Session age after the switch": connect-redis keeps no
 * creation time, so a session it wrote is "created" at its first request through SessionKit, and
 * an absoluteTimeout counts from there, not from the sign-in. Nothing is estimated from the
 * cookie, whose `expires` express-session moves on every request; the expiry (the key's TTL)
 * carries over as it was.
 */

const redis = useRedis();
const DAY = 86_400_000;
const call = <T>(fn: (cb: (err: unknown, value?: T) => void) => void) =>
  new Promise<T | undefined>((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value))));

describe('a session connect-redis wrote, after the switch', () => {
  let theirs: ConnectRedisStore;
  let ours: RedisStore;
  beforeAll(() => {
    theirs = new ConnectRedisStore({ client: redis.client(), prefix: 'age:' });
    ours = new RedisStore({ client: redis.client(), prefix: 'age:', absoluteTimeout: 15 * DAY });
  });
  afterAll(() => ours?.close());

  it('is created at its first request through SessionKit: the absolute timeout counts from the switch, not from the sign-in', async () => {
    // What connect-redis holds for a user who signed in 10 days ago with a 30-day cookie (with
    // express-session's defaults `expires` moves on each request; nothing in it says when).
    const signedIn = Date.now() - 10 * DAY;
    const cookie = { originalMaxAge: 30 * DAY, expires: new Date(signedIn + 30 * DAY), httpOnly: true, path: '/' };
    const sess = { cookie, userId: 'carol' } as unknown as SessionData;
    await call((cb) => theirs.set('carol-sid', sess, cb));
    const ttlBefore = await redis.client().pttl('age:carol-sid');

    const switchedAt = Date.now();
    const loaded = await call<SessionData | null>((cb) => ours.get('carol-sid', cb));
    expect(loaded).toMatchObject({ userId: 'carol' });
    // The first request through SessionKit rewrites it (express-session touches it), which indexes it.
    await call((cb) => ours.touch('carol-sid', loaded!, cb));

    const [info] = await ours.listUserSessions('carol');
    expect(info!.id).toBe(sessionHandle('carol-sid'));
    // Created at the switch, not estimated from the cookie (that would be about `signedIn`).
    expect(info!.createdAt).toBeGreaterThanOrEqual(switchedAt);
    // So the 15-day absolute timeout ends 15 days after the switch: 25 days after the sign-in,
    // where a session signed in through SessionKit would have ended 5 days from now.
    expect(info!.absoluteExpiresAt).toBe(info!.createdAt + 15 * DAY);
    expect(info!.absoluteExpiresAt! - switchedAt).toBeGreaterThan(14 * DAY);
    // The expiry carried over is the one connect-redis set (its TTL: 20 days left), capped by it.
    expect(info!.expiresAt).toBeLessThanOrEqual(info!.absoluteExpiresAt!);
    expect(ttlBefore).toBeGreaterThan(19 * DAY);

    // Later requests keep that creation time: it is stored with the record from now on.
    const again = await call<SessionData | null>((cb) => ours.get('carol-sid', cb));
    expect(again).toMatchObject({ userId: 'carol' });
    expect((await ours.listUserSessions('carol'))[0]!.createdAt).toBe(info!.createdAt);
  });
});
