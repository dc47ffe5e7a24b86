import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import { hashId, RedisStore } from '@sessionkit/koa';
import { cookieValue, defineHostileCookieSuite, defineTamperSuite, hostileCookieValue, type SecurityApp } from '@sessionkit/testing';
import { Client, KEYS, startApp, useRedis } from './helpers.js';

/**
 * Security behaviour of @sessionkit/koa over real HTTP (Koa 3 + koa-session 7, `rolling: true`)
 * and a real redis-server: hostile cookies (property-based) and tampered stored values.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Keygrip's default signature (SHA-1 HMAC, base64url) of the cookie "koa.sess=<value>", as Koa signs it. */
const signature = (value: string, key = KEYS[0]!) => createHmac('sha1', key).update(`koa.sess=${value}`).digest('base64url');

const servers: Awaited<ReturnType<typeof startApp>>[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** The app on a new store, as the shared security suites drive it. */
const securityApp: SecurityApp<Client> = {
  redis,
  start: async () => {
    const store = new RedisStore({ client: redis.client() });
    const server = await startApp(store, { session: { maxAge: 60_000, rolling: true } });
    servers.push(server);
    return { url: server.url, store };
  },
  browser: (url) => new Client(url),
};

defineHostileCookieSuite({
  ...securityApp,
  titles: {
    forged:
      'random cookie values and signatures (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach the store, and are anonymous',
    signed: 'validly signed but hostile ids (as a custom genid might make) reach the store as exact keys: no session, no error, never the victim',
  },
  forgedCookies: (victimId) => {
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
    return fc.tuple(hostileCookieValue(fc.constant(victimId)), hostileCookieValue(nearMissSig), fc.boolean()).map(([raw, sig, twice]) => {
      const pair = `koa.sess=${cookieValue(raw)}; koa.sess.sig=${cookieValue(sig)}`;
      return twice ? `${pair}; koa.sess=${cookieValue(raw)}x; other=1` : pair;
    });
  },
  signedCookie: (id) => `koa.sess=${cookieValue(id)}; koa.sess.sig=${signature(cookieValue(id))}`,
  // The victim's id with its real signature is the only way in, and it is never sent.
  forgedReach: 'not the victim',
  signedReach: 'exact keys',
});

defineTamperSuite({ ...securityApp, hashId, cookie: 'optional' });
