import { createHmac } from 'node:crypto';
import type { SessionInfo } from '@sessionkit/core';
import { consoleLogObservability, defineSecuritySuites, dotSignedUnsign, flipLast } from '../../shared/test/security.js';
import { Agent, SECRET, serve, useRedis, type Served } from './helpers.js';

/**
 * Security checks on the example Hono app over real HTTP and a real redis-server: the suites of
 * examples/shared/test/security.ts, given what is particular to @sessionkit/hono below.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Hono's signed cookie (setSignedCookie): id + "." + base64(HMAC-SHA256(secret, id)) with its padding, URI-encoded. */
const honoSignature = (value: string, secret: string) => createHmac('sha256', secret).update(value).digest('base64');

const unsign = dotSignedUnsign(honoSignature);

const WEEK_MS = 7 * 24 * 3600 * 1000;
type Data = Record<string, unknown>;

/**
 * What the suites call the store. The middleware loads sessions through its engine's core store
 * (`sessions.core.load`), which has no `get` of the express-session kind: `get` here is that
 * load, and the engine's core calls it, so that a test that wraps `get` sees every id the app
 * asks Redis for.
 */
function storeOf(served: Served) {
  const middleware = served.store;
  const core = middleware.sessions.core;
  const load = core.load.bind(core);
  const store = {
    core,
    sessions: middleware.sessions,
    get: (sid: string, ..._rest: unknown[]): unknown => load(sid),
    listUserSessions: (userId: string): Promise<SessionInfo[]> => middleware.listUserSessions(userId),
  };
  core.load = ((sid: string) => store.get(sid)) as typeof core.load;
  return store;
}
type Store = ReturnType<typeof storeOf>;

async function start(options: Parameters<typeof serve>[1] = {}) {
  const served = await serve(redis.client(), options);
  return { url: served.url, store: storeOf(served), close: served.close };
}

defineSecuritySuites<Store, Data>({
  redis,
  secret: SECRET,
  Agent,
  start: () => start(),
  startWithAbsoluteTimeout: (absoluteTimeout) => start({ absoluteTimeout }),
  unsign,
  forgeries: (victimId, valid) => ({
    'raw id, unsigned': victimId,
    'signed with another secret': `${victimId}.${honoSignature(victimId, 'not the app secret')}`,
    // A character inside the signature: the last one before the padding carries 2 unused bits, and
    // flipping one of those decodes to the same HMAC (base64 is malleable there), which is no forgery.
    'tampered signature': flipLast(valid.slice(0, -8)) + valid.slice(-7),
    'valid signature of another value': `${victimId}.${honoSignature(`${victimId}x`, SECRET)}`,
    'id with a trailing dot': `${victimId}.`,
    'signature without its padding': valid.slice(0, -1),
  }),
  // As the middleware loads and saves: no cookie in the data, the TTL (the app's 7 days) with each save.
  loadSession: (store, id) => store.sessions.get(id, { noCookie: true }) as Promise<Data | null>,
  saveSession: (store, id, session) => store.sessions.set(id, session, { ttl: WEEK_MS }),
  // The app's log is the console (one line per Redis failure).
  observability: consoleLogObservability,
});
