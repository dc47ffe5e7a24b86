import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId } from '@sessionkit/hono';
import { cookieValue, hostileCookieValue, hostileSessionId, tamperedValueCases, tamperedValueTitle, sessionKey } from '@sessionkit/testing';
import { type Client, SECRET, signIn, startApp, useRedis } from './helpers.js';

/**
 * Security behaviour of @sessionkit/hono over real HTTP and a real redis-server: hostile cookies
 * (property-based) and tampered stored values. docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Hono's signed value of `value`: "<value>.<base64 HMAC-SHA256>". */
const signedValue = (value: string, secret = SECRET) => `${value}.${createHmac('sha256', secret).update(value).digest('base64')}`;

type Inspect = { sid: string | null; userId: string | null; keys: string[]; polluted: unknown };
const inspect = async (browser: Client) => (await browser.get('/inspect')).json as Inspect;

const running: Awaited<ReturnType<typeof startApp>>[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.close()));
});
async function start() {
  const app = await startApp(redis, { ttl: 60 });
  running.push(app);
  // Every id the engine is asked to load.
  const loads: string[] = [];
  const engine = app.session.sessions;
  const load = engine.load.bind(engine);
  engine.load = (id, shape) => (loads.push(id), load(id, shape));
  return { ...app, loads };
}

describe('hostile cookies, property-based, over HTTP', () => {
  let target: Awaited<ReturnType<typeof start>>;
  let victim: Client & { sid: string };
  beforeAll(async () => {
    target = await start();
    victim = await signIn(target.url, 'alice');
  });

  it('random cookie values (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach the store, and are anonymous', async () => {
    const victimId = victim.sid;
    const before = await redis.client().get(sessionKey(victimId));
    const good = signedValue(victimId);
    const nearMiss = fc
      .oneof(
        fc.constant(victimId),
        fc.string({ maxLength: 44 }).map((sig) => `${victimId}.${sig}`),
        fc.string({ minLength: 1, maxLength: 8 }).map((extra) => good.slice(0, -2) + extra),
        fc.constant(signedValue(victimId, 'another secret')),
        fc.constant(signedValue(`${victimId}x`).replace(`${victimId}x`, victimId)),
      )
      .filter((value) => value !== good);
    target.loads.length = 0;
    await fc.assert(
      fc.asyncProperty(hostileCookieValue(nearMiss), fc.boolean(), async (raw, twice) => {
        const cookie = twice ? `sid=${cookieValue(raw)}; sid=${cookieValue(raw)}x; other=1` : `sid=${cookieValue(raw)}`;
        const res = await fetch(`${target.url}/inspect`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
        expect(res.status).toBe(200);
        const body = (await res.json()) as Inspect;
        expect(body.userId).toBeNull();
        expect(body.sid).not.toBe(victimId);
        expect(res.headers.getSetCookie().join(' ')).not.toContain(victimId);
      }),
      { numRuns: 200 },
    );
    expect(target.loads).not.toContain(victimId);
    expect(await redis.client().get(sessionKey(victimId))).toEqual(before);
    expect((await inspect(victim)).userId).toBe('alice');
  });

  it('validly signed but hostile ids reach the store as exact keys: no session, no error, never the victim', async () => {
    const victimId = victim.sid;
    target.loads.length = 0;
    await fc.assert(
      fc.asyncProperty(hostileSessionId(victimId), async (id) => {
        const res = await fetch(`${target.url}/inspect`, {
          headers: { cookie: `sid=${encodeURIComponent(signedValue(id))}` },
          signal: AbortSignal.timeout(5000),
        });
        expect(res.status).toBe(200);
        expect(((await res.json()) as Inspect).userId).toBeNull();
      }),
      { numRuns: 100 },
    );
    expect(target.loads.length).toBeGreaterThan(0);
    expect(target.loads).not.toContain(victimId);
    expect((await inspect(victim)).userId).toBe('alice');
  });
});

describe('tampered stored values, over HTTP', () => {
  let target: Awaited<ReturnType<typeof start>>;
  let bob: Client;
  const corruptEvents: string[] = [];
  const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
  beforeAll(async () => {
    target = await start();
    target.session.core.on('corrupt', (_error, { idHash }) => void corruptEvents.push(idHash));
    bob = await signIn(target.url, 'bob');
  });

  // The middleware keeps no cookie in the data (a `cookie` key is the app's own), so a null
  // `cookie` is data like any other here, not a broken session: that case is left out.
  for (const [what, tamper, expected] of tamperedValueCases(() => redis.client()).filter(([what]) => what !== 'a cookie that is null')) {
    it(tamperedValueTitle(what, expected), async () => {
      const alice = await signIn(target.url, 'alice');
      const sid = alice.sid;
      const reported = corruptEvents.length;
      await tamper(sessionKey(sid));
      const body = await inspect(alice);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(body.polluted).toBeNull();
      if (expected === 'absent') {
        expect(body.userId).toBeNull();
        expect(body.sid).not.toBe(sid);
        expect(corruptEvents.slice(reported)).toEqual([hashId(sid)]);
        expect(alice.cookies.has('sid')).toBe(false); // the cookie of a session that is gone is cleared
        expect((await alice.post('/login', { user: 'alice' })).status).toBe(200);
        expect((await inspect(alice)).userId).toBe('alice');
      } else {
        expect(body).toMatchObject({ userId: 'alice', sid });
        expect(body.keys).not.toContain('polluted');
        expect(body.keys).not.toContain('__proto__');
      }
      expect((await inspect(bob)).userId).toBe('bob');
    });
  }
});
