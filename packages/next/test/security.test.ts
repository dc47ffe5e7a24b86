import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId } from '@sessionkit/next';
import { cookieValue, hostileCookieValue, hostileSessionId, tamperedValueCases, tamperedValueTitle, useRedis, sessionKey } from '@sessionkit/testing';
import { type Browser, commandsDuring, signed, signIn, startApp } from './helpers.js';

/**
 * Security behaviour of @sessionkit/next in the test app's production build, over real HTTP and a
 * real redis-server: hostile cookies (property-based) and tampered stored values, the cases
 * packages/hono/test/security.test.ts runs. docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

type Inspect = { sid: string | null; userId: string | null; keys: string[]; polluted: unknown; corrupt: string[] };
const inspect = async (browser: Browser) => (await browser.get('/inspect')).json as Inspect;

let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  app = await startApp(redis);
});
afterAll(async () => {
  await app?.stop();
});

describe('hostile cookies, property-based, over HTTP', () => {
  let victim: Browser;
  beforeAll(async () => {
    victim = await signIn(app.url, 'alice');
  });

  it('random cookie values (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach Redis, and are anonymous', async () => {
    const victimId = victim.sid!;
    const client = redis.client();
    const before = await client.get(sessionKey(victimId));
    const good = signed(victimId);
    const nearMiss = fc
      .oneof(
        fc.constant(victimId),
        fc.string({ maxLength: 44 }).map((sig) => `${victimId}.${sig}`),
        fc.string({ minLength: 1, maxLength: 8 }).map((extra) => good.slice(0, -2) + extra),
        fc.constant(signed(victimId, 'another secret')),
        fc.constant(`${victimId}.${signed(`${victimId}x`).split('.')[1]}`),
      )
      .filter((value) => value !== good);
    const ran = await commandsDuring(client, () =>
      fc.assert(
        fc.asyncProperty(hostileCookieValue(nearMiss), fc.boolean(), async (raw, twice) => {
          const cookie = twice ? `sid=${cookieValue(raw)}; sid=${cookieValue(raw)}x; other=1` : `sid=${cookieValue(raw)}`;
          const res = await fetch(`${app.url}/inspect`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
          expect(res.status).toBe(200);
          const body = (await res.json()) as Inspect;
          expect(body.userId).toBeNull();
          expect(body.sid).toBeNull();
          expect(res.headers.getSetCookie().join(' ')).not.toContain(victimId);
        }),
        { numRuns: 200 },
      ),
    );
    // A cookie that fails its signature is turned away before Redis: not one command for 200 requests.
    expect(ran).toEqual({});
    expect(await client.get(sessionKey(victimId))).toEqual(before);
    expect((await inspect(victim)).userId).toBe('alice');
  });

  it('validly signed but hostile ids (glob, hash-tag, unicode, patterns of the victim) never reach Redis: the kit loads only ids of its own shape', async () => {
    // Hono's version of this test sees such ids reach the store as exact keys (an app may bring
    // its own ids there); this kit makes every id itself (192 random bits, base64url), so it
    // refuses any other shape before Redis, even one its secret signed.
    const victimId = victim.sid!;
    const client = redis.client();
    const ran = await commandsDuring(client, () =>
      fc.assert(
        fc.asyncProperty(hostileSessionId(victimId), async (id) => {
          const res = await fetch(`${app.url}/inspect`, {
            headers: { cookie: `sid=${encodeURIComponent(signed(id))}` },
            signal: AbortSignal.timeout(5000),
          });
          expect(res.status).toBe(200);
          expect(((await res.json()) as Inspect).userId).toBeNull();
        }),
        { numRuns: 100 },
      ),
    );
    expect(ran).toEqual({});
    expect((await inspect(victim)).userId).toBe('alice');
  });
});

describe('tampered stored values, over HTTP', () => {
  let bob: Browser;
  beforeAll(async () => {
    bob = await signIn(app.url, 'bob');
  });

  // The kit keeps no cookie in the data (a `cookie` key is the app's own), so a null `cookie` is
  // data like any other here, not a broken session: that case is left out, as for Hono.
  for (const [what, tamper, expected] of tamperedValueCases(() => redis.client()).filter(([what]) => what !== 'a cookie that is null')) {
    it(tamperedValueTitle(what, expected), async () => {
      const alice = await signIn(app.url, 'alice');
      const sid = alice.sid!;
      const reported = (await inspect(bob)).corrupt.length;
      await tamper(sessionKey(sid));
      const body = await inspect(alice);
      expect(body.polluted).toBeNull();
      if (expected === 'absent') {
        expect(body.userId).toBeNull();
        expect(body.sid).toBeNull();
        expect(body.corrupt.slice(reported)).toEqual([hashId(sid)]);
        expect(alice.cookies.has('sid')).toBe(false); // the cookie of a session that is gone is cleared
        expect(/<p id="who">([^<]*)</.exec((await alice.page('/')).text)?.[1]).toBe('anonymous');
        expect((await alice.post('/login/alice')).status).toBe(200);
        expect((await inspect(alice)).userId).toBe('alice');
      } else {
        expect(body).toMatchObject({ userId: 'alice', sid });
        expect(body.keys).not.toContain('polluted');
        expect(body.keys).not.toContain('__proto__');
      }
      // Nothing leaked into the server's prototypes: another session reads clean.
      expect(await inspect(bob)).toMatchObject({ userId: 'bob', polluted: null });
    });
  }
});
