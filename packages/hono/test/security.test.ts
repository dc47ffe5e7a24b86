import { createHmac } from 'node:crypto';
import { afterAll } from 'vitest';
import { hashId } from '@sessionkit/hono';
import { defineHostileCookieSuite, defineTamperSuite, dotSignedCookies, watchLookups, type SecurityApp } from '@sessionkit/testing';
import { Client, SECRET, startApp, useRedis } from './helpers.js';

/**
 * Security behaviour of @sessionkit/hono over real HTTP and a real redis-server: hostile cookies
 * (property-based) and tampered stored values. docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Hono's signed value of `value`: "<value>.<base64 HMAC-SHA256>". */
const signedValue = (value: string, secret = SECRET) => `${value}.${createHmac('sha256', secret).update(value).digest('base64')}`;

const running: Awaited<ReturnType<typeof startApp>>[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.close()));
});

/** The app as the shared security suites drive it; `watch` sees every id the engine is asked to load. */
const securityApp: SecurityApp<Client> = {
  redis,
  start: async () => {
    const app = await startApp(redis, { ttl: 60 });
    running.push(app);
    return { url: app.url, core: app.session.core, watch: watchLookups(app.session.sessions, 'load') };
  },
  browser: (url) => new Client(url),
};

defineHostileCookieSuite({
  ...securityApp,
  titles: {
    forged:
      'random cookie values (glob characters, hash tags, long strings, unicode, near-misses of the real one) never crash the server, never reach the store, and are anonymous',
    signed: 'validly signed but hostile ids reach the store as exact keys: no session, no error, never the victim',
  },
  ...dotSignedCookies('sid', signedValue),
  forgedReach: 'not the victim',
  signedReach: 'exact keys',
});

defineTamperSuite({
  ...securityApp,
  hashId,
  // The middleware keeps no cookie in the data: a `cookie` key is the app's own.
  cookie: 'app data',
  clearedCookie: 'sid',
});
