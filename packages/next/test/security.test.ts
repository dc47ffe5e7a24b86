import { afterAll, beforeAll, expect } from 'vitest';
import { hashId } from '@sessionkit/next';
import { defineHostileCookieSuite, defineTamperSuite, dotSignedCookies, useRedis, type SecurityApp } from '@sessionkit/testing';
import { Browser, commandsDuring, signed, startApp } from './helpers.js';

/**
 * Security behaviour of @sessionkit/next in the test app's production build, over real HTTP and a
 * real redis-server: hostile cookies (property-based) and tampered stored values, the cases
 * packages/hono/test/security.test.ts runs. docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

let app: Awaited<ReturnType<typeof startApp>>;
beforeAll(async () => {
  app = await startApp(redis);
});
afterAll(async () => {
  await app?.stop();
});

/** The one app of this file as the shared security suites drive it. */
const securityApp: SecurityApp<Browser> = {
  redis,
  start: async () => ({
    url: app.url,
    // The app lists the hashes the kit reported as corrupt; the test process cannot listen in.
    corruptReported: async () => ((await new Browser(app.url).get('/inspect')).json as { corrupt: string[] }).corrupt,
    // What reaches Redis: every command sent while `work` runs.
    watch: async (work) => Object.keys(await commandsDuring(redis.client(), work)),
  }),
  browser: (url) => new Browser(url),
  routes: { signIn: '/login/:user' },
  // No session: the kit makes none until something is stored.
  anonymousSid: 'null',
};

defineHostileCookieSuite({
  ...securityApp,
  titles: {
    forged:
      'random cookie values (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach Redis, and are anonymous',
    signed: 'validly signed but hostile ids (glob, hash-tag, unicode, patterns of the victim) never reach Redis: the kit loads only ids of its own shape',
  },
  ...dotSignedCookies('sid', signed),
  // A cookie that fails its signature is turned away before Redis: not one command for 200 requests.
  forgedReach: 'nothing',
  // Hono's version of this test sees such ids reach the store as exact keys (an app may bring its
  // own ids there); this kit makes every id itself (192 random bits, base64url), so it refuses any
  // other shape before Redis, even one its secret signed.
  signedReach: 'nothing',
});

defineTamperSuite({
  ...securityApp,
  hashId,
  // The kit keeps no cookie in the data: a `cookie` key is the app's own.
  cookie: 'app data',
  clearedCookie: 'sid',
  afterDropped: async (browser) => {
    expect(/<p id="who">([^<]*)</.exec((await browser.page('/')).text)?.[1]).toBe('anonymous');
  },
});
