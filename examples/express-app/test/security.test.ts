import { consoleLogObservability, defineSecuritySuites, flipLast, signature } from '../../shared/test/security.js';
import { Agent, SECRET, serve, useRedis } from './helpers.js';

/**
 * Security checks on the example Express app over real HTTP and a real redis-server: the suites
 * of examples/shared/test/security.ts, given what is particular to express-session below.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** express-session's cookie: "s:" + id + "." + base64(HMAC-SHA256(secret, id)) without padding, URI-encoded. */
function unsign(cookie: string, secret: string): string | false {
  const value = decodeURIComponent(cookie);
  if (!value.startsWith('s:')) return false;
  const dot = value.lastIndexOf('.');
  const id = value.slice(2, dot);
  return value.slice(dot + 1) === signature(id, secret) ? id : false;
}

defineSecuritySuites({
  redis,
  secret: SECRET,
  Agent,
  start: () => serve(redis.client()),
  startWithAbsoluteTimeout: (absoluteTimeout) => serve(redis.client(), { absoluteTimeout }),
  unsign,
  forgeries: (victimId, valid) => ({
    'raw id, unsigned': victimId,
    'raw id with the s: prefix, no signature': `s:${victimId}`,
    'signed with another secret': `s:${victimId}.${signature(victimId, 'not the app secret')}`,
    'tampered signature': flipLast(valid),
    'valid signature of another value': `s:${victimId}.${signature(`${victimId}x`, SECRET)}`,
    'id with a trailing dot': `s:${victimId}.`,
  }),
  // express-session's store API takes callbacks; the framework layer under it returns promises.
  loadSession: (store, id) => store.sessions.get(id),
  saveSession: (store, id, session) => new Promise<void>((resolve, reject) => store.set(id, session, (err: unknown) => (err ? reject(err) : resolve()))),
  // The app's log is the console (one line per Redis failure).
  observability: consoleLogObservability,
});
