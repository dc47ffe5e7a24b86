import { createHmac } from 'node:crypto';
import { beforeAll, expect } from 'vitest';
import type { SessionInfo } from '@sessionkit/core';
import type { SessionKit } from '@sessionkit/next';
import { consoleLogObservability, defineSecuritySuites, dotSignedUnsign, flipLast } from '../../shared/test/security.js';
import type { AppSession } from '../lib/app-session.js';
import { Agent, buildApp, SECRET, serveHere, useRedis } from './helpers.js';

/**
 * Security checks on the example Next app (its production build, served in this process by
 * src/server.ts) over real HTTP and a real redis-server: the suites of
 * examples/shared/test/security.ts, given what is particular to @sessionkit/next below.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();
beforeAll(buildApp, 240_000);

/** The kit's cookie: id + "." + base64url(HMAC-SHA256(secret, id)), no padding. */
const nextSignature = (value: string, secret: string) => createHmac('sha256', secret).update(value).digest('base64url');

const unsign = dotSignedUnsign(nextSignature);

const WEEK_MS = 7 * 24 * 3600 * 1000;
type Data = Record<string, unknown>;

/**
 * What the suites call the store, on the kit the app built for this server. The kit loads
 * sessions through its engine's core store (`core.load`), which has no `get` of the
 * express-session kind: `get` here is that load, and the core calls it, so that a test that
 * wraps `get` sees every id the app asks Redis for.
 */
function storeOf(kit: SessionKit<AppSession>) {
  const core = kit.core;
  const load = core.load.bind(core);
  const store = {
    core,
    sessions: kit.sessions,
    get: (sid: string, ..._rest: unknown[]): unknown => load(sid),
    listUserSessions: (userId: string): Promise<SessionInfo[]> => kit.listUserSessions(userId),
  };
  core.load = ((sid: string) => store.get(sid)) as typeof core.load;
  return store;
}
type Store = ReturnType<typeof storeOf>;

async function start(options: { absoluteTimeout?: number } = {}) {
  const served = await serveHere(redis.client(), options);
  // The app builds its kit on the first request that uses sessions (the sign-in form reads one).
  const warmUp = await fetch(`${served.url}/login`);
  expect(warmUp.status).toBe(200);
  return { url: served.url, store: storeOf(served.sessionKit()!), close: served.close };
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
    'signed with another secret': `${victimId}.${nextSignature(victimId, 'not the app secret')}`,
    // The kit compares the signature's text, so even its last character (2 of whose bits base64
    // leaves unused) counts, and one inside it too.
    'tampered signature': flipLast(valid),
    'tampered signature, inside': flipLast(valid.slice(0, -8)) + valid.slice(-7),
    'valid signature of another value': `${victimId}.${nextSignature(`${victimId}x`, SECRET)}`,
    'id with a trailing dot': `${victimId}.`,
    'signature without its last character': valid.slice(0, -1),
  }),
  // As the kit loads and saves: no cookie in the data, the TTL (the app's 7 days) with each save.
  loadSession: (store, id) => store.sessions.get(id, { noCookie: true }) as Promise<Data | null>,
  saveSession: (store, id, session) => store.sessions.set(id, session, { ttl: WEEK_MS }),
  // The app's log is the console (one line per Redis failure).
  observability: consoleLogObservability,
});
