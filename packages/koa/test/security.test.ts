import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId, RedisStore } from '@sessionkit/koa';
import { cookieValue, hostileCookieValue, hostileSessionId, tamperedValueCases, tamperedValueTitle, sessionKey } from '@sessionkit/testing';
import { Client, KEYS, startApp, useRedis } from './helpers.js';

/**
 * Security behaviour of @sessionkit/koa over real HTTP (Koa 3 + koa-session 7, `rolling: true`)
 * and a real redis-server: hostile cookies (property-based) and tampered stored values.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Keygrip's default signature (SHA-1 HMAC, base64url) of the cookie "koa.sess=<value>", as Koa signs it. */
const signature = (value: string, key = KEYS[0]!) => createHmac('sha1', key).update(`koa.sess=${value}`).digest('base64url');

type Inspect = { sid: string | null; userId: string | null; keys: string[]; polluted: unknown };

const servers: Awaited<ReturnType<typeof startApp>>[] = [];
async function start(options: ConstructorParameters<typeof RedisStore>[0] = {}) {
  const store = new RedisStore({ client: redis.client(), ...options });
  const server = await startApp(store, { session: { maxAge: 60_000, rolling: true } });
  servers.push(server);
  return { store, url: server.url };
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function signIn(url: string, user: string): Promise<Client & { sid: string }> {
  const browser = new Client(url) as Client & { sid: string };
  const res = await browser.post('/login', { user });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
  return browser;
}
const inspect = async (browser: Client) => (await browser.get('/inspect')).json as Inspect;

/** Wraps the real store's `get` to record the ids it is asked for. */
function recordGets(store: RedisStore): string[] {
  const ids: string[] = [];
  const original = store.get.bind(store);
  store.get = ((key: string, ...rest: Parameters<RedisStore['get']> extends [string, ...infer R] ? R : never) => {
    ids.push(key);
    return original(key, ...rest);
  }) as RedisStore['get'];
  return ids;
}

describe('hostile cookies, property-based, over HTTP', () => {
  let target: Awaited<ReturnType<typeof start>>;
  let victim: Client & { sid: string };
  let gets: string[];
  beforeAll(async () => {
    target = await start();
    victim = await signIn(target.url, 'alice');
    gets = recordGets(target.store);
  });

  it('random cookie values and signatures (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach the store, and are anonymous', async () => {
    const victimId = victim.sid;
    const before = await redis.client().get(sessionKey(victimId));
    const goodSig = signature(victimId);
    const nearMissSig = fc
      .oneof(
        fc.constant(''),
        fc.string({ maxLength: 44 }),
        fc.string({ minLength: 1, maxLength: 8 }).map((extra) => goodSig.slice(0, -1) + extra),
        fc.constant(signature(victimId, 'another key')),
        fc.constant(signature(`${victimId}x`)),
      )
      .filter((sig) => sig !== goodSig); // a near miss, never the real signature by chance
    await fc.assert(
      fc.asyncProperty(hostileCookieValue(fc.constant(victimId)), hostileCookieValue(nearMissSig), fc.boolean(), async (raw, sig, twice) => {
        const pair = `koa.sess=${cookieValue(raw)}; koa.sess.sig=${cookieValue(sig)}`;
        const cookie = twice ? `${pair}; koa.sess=${cookieValue(raw)}x; other=1` : pair;
        const res = await fetch(`${target.url}/inspect`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
        expect(res.status).toBe(200);
        const body = (await res.json()) as Inspect;
        expect(body.userId).toBeNull();
        expect(body.sid).not.toBe(victimId);
        expect(res.headers.getSetCookie().join(' ')).not.toContain(victimId);
      }),
      { numRuns: 200 },
    );
    // The victim's id with its real signature is the only way in, and it was never sent.
    expect(gets).not.toContain(victimId);
    expect(await redis.client().get(sessionKey(victimId))).toEqual(before);
    expect((await inspect(victim)).userId).toBe('alice');
  });

  it('validly signed but hostile ids (as a custom genid might make) reach the store as exact keys: no session, no error, never the victim', async () => {
    const victimId = victim.sid;
    gets.length = 0;
    await fc.assert(
      fc.asyncProperty(hostileSessionId(victimId), async (id) => {
        const cookie = `koa.sess=${cookieValue(id)}; koa.sess.sig=${signature(cookieValue(id))}`;
        const res = await fetch(`${target.url}/inspect`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
        expect(res.status).toBe(200);
        expect(((await res.json()) as Inspect).userId).toBeNull();
      }),
      { numRuns: 100 },
    );
    expect(gets.length).toBeGreaterThan(0);
    expect(gets).not.toContain(victimId);
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
    target.store.core.on('corrupt', (_error, { idHash }) => void corruptEvents.push(idHash));
    bob = await signIn(target.url, 'bob');
  });

  for (const [what, tamper, expected] of tamperedValueCases(() => redis.client())) {
    it(tamperedValueTitle(what, expected), async () => {
      const alice = await signIn(target.url, 'alice');
      const reported = corruptEvents.length;
      await tamper(sessionKey(alice.sid));
      const body = await inspect(alice);
      expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(body.polluted).toBeNull();
      if (expected === 'absent') {
        expect(body.userId).toBeNull();
        expect(body.sid).not.toBe(alice.sid);
        expect(corruptEvents.slice(reported)).toEqual([hashId(alice.sid)]);
        expect((await alice.post('/login', { user: 'alice' })).status).toBe(200);
        expect((await inspect(alice)).userId).toBe('alice');
      } else {
        expect(body).toMatchObject({ userId: 'alice', sid: alice.sid });
        expect(body.keys).not.toContain('polluted');
        expect(body.keys).not.toContain('__proto__');
      }
      expect((await inspect(bob)).userId).toBe('bob');
    });
  }
});
