import { Writable } from 'node:stream';
import { expect } from 'vitest';
import { hashId } from '@sessionkit/core';
import { defineSecuritySuites, flipLast, signature } from '../../shared/test/security.js';
import { Agent, SECRET, serve, useRedis } from './helpers.js';

/**
 * Security checks on the example Fastify app over real HTTP and a real redis-server: the suites
 * of examples/shared/test/security.ts, given what is particular to @fastify/session below.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

// The app's own log (Fastify's pino logger at info level: requests, warnings, errors), as lines.
const appLog: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    appLog.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

/** @fastify/session's cookie: id + "." + base64(HMAC-SHA256(secret, id)) without padding, URI-encoded. */
function unsign(cookie: string, secret: string): string | false {
  const value = decodeURIComponent(cookie);
  const dot = value.lastIndexOf('.');
  const id = value.slice(0, dot);
  return dot > 0 && value.slice(dot + 1) === signature(id, secret) ? id : false;
}

defineSecuritySuites({
  redis,
  secret: SECRET,
  Agent,
  start: () => serve(redis.client(), { logger: { level: 'info', stream: logStream } }),
  startWithAbsoluteTimeout: (absoluteTimeout) => serve(redis.client(), { absoluteTimeout }),
  unsign,
  forgeries: (victimId, valid) => ({
    'raw id, unsigned': victimId,
    'signed with another secret': `${victimId}.${signature(victimId, 'not the app secret')}`,
    'tampered signature': flipLast(valid),
    'valid signature of another value': `${victimId}.${signature(`${victimId}x`, SECRET)}`,
    'id with a trailing dot': `${victimId}.`,
    'express-session format': `s:${victimId}.${signature(victimId, SECRET)}`,
  }),
  loadSession: (store, id) => store.get(id),
  saveSession: (store, id, session) => store.set(id, session),
  observability: {
    title: 'an app can log and meter corrupt, invalidate and revoked-write events with hashed ids; nothing it logs contains a session id',
    appLog,
    checkLog: (ids) => {
      // The plugin's own warning for the corrupt session, and the error handler's line for NOPERM.
      expect(appLog.some((line) => line.includes('unreadable session') && line.includes(hashId(ids[0]!)))).toBe(true);
      expect(appLog.some((line) => /SessionKit \w+ failed: NOPERM/.test(line))).toBe(true);
      expect(appLog.some((line) => line.includes('incoming request'))).toBe(true);
    },
  },
});
