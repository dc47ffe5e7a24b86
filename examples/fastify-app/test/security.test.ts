import { createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId } from '@sessionkit/core';
import type { RedisStore } from '@sessionkit/fastify';
import { buildApp } from '../src/app.js';
import { Agent, SECRET, useRedis } from './helpers.js';

/**
 * Security checks on the example Fastify app over real HTTP and a real redis-server: session id
 * entropy, forged cookies, fixation, and what the store's events and the app's logs reveal.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

// Everything the app prints during this file, to check that no raw session id is ever logged.
const printed: string[] = [];
const originals = { log: console.log, error: console.error, warn: console.warn };
beforeAll(() => {
  for (const name of ['log', 'error', 'warn'] as const) {
    console[name] = (...args: unknown[]) => void printed.push(args.map((a) => (a instanceof Error ? `${a.stack} ${String(a.cause)}` : String(a))).join(' '));
  }
});
afterAll(() => Object.assign(console, originals));

// The app's own log (Fastify's pino logger at info level: requests, warnings, errors), as lines.
const appLog: string[] = [];
const logStream = new Writable({
  write(chunk, _encoding, done) {
    appLog.push(...String(chunk).split('\n').filter(Boolean));
    done();
  },
});

let app: FastifyInstance;
let store: RedisStore;
let url: string;
beforeAll(async () => {
  app = await buildApp({ client: redis.client(), secret: SECRET, logger: { level: 'info', stream: logStream } });
  store = app.sessionStore;
  await app.listen({ port: 0, host: '127.0.0.1' });
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await app?.close();
});

/** @fastify/session's cookie: id + "." + base64(HMAC-SHA256(secret, id)) without padding, URI-encoded. */
const signature = (value: string, secret: string) => createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
function unsign(cookie: string, secret: string): string | false {
  const value = decodeURIComponent(cookie);
  const dot = value.lastIndexOf('.');
  const id = value.slice(0, dot);
  return dot > 0 && value.slice(dot + 1) === signature(id, secret) ? id : false;
}

/** Every command Redis receives while `work` runs (MONITOR), as "name arg arg ..." lines. */
async function monitored(work: () => Promise<void>): Promise<string[]> {
  const monitor = await redis.client().monitor();
  const lines: string[] = [];
  const marker = `end-of-attack-${Math.random()}`;
  const done = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[]) => {
      if (args[1] === marker) resolve();
      else lines.push(args.join(' '));
    }),
  );
  try {
    await work();
    await redis.client().echo(marker);
    await done;
  } finally {
    monitor.disconnect();
  }
  return lines;
}

/** Counts the ids the store's `get` is asked for (a wrapper around the real store object's method). */
function countGets(target: RedisStore): { ids: string[]; restore(): void } {
  const ids: string[] = [];
  const original = target.get;
  const call = original as (this: RedisStore, ...args: unknown[]) => unknown;
  target.get = function (this: RedisStore, sid: string, callback?: unknown) {
    ids.push(sid);
    return call.call(this, sid, callback);
  } as RedisStore['get'];
  return { ids, restore: () => void (target.get = original) };
}

describe('session ids (ASVS 7.2.3)', () => {
  it('200 sign-ins give 200 distinct ids, each 32 base64url characters (192 bits >= 128), checked by unsigning the cookie with the app secret', async () => {
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 25; i++) {
          const agent = new Agent();
          await agent.signIn(url, worker % 2 ? 'alice' : 'bob');
          const id = unsign(agent.cookies.get('sid')!, SECRET);
          expect(id, 'cookie signed with the app secret').not.toBe(false);
          ids.push(id as string);
        }
      }),
    );
    expect(ids).toHaveLength(200);
    expect(new Set(ids).size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // 32 symbols of a 64-symbol alphabet: 32 * log2(64) = 192 bits when uniformly random
    // (@fastify/session's idGenerator: 24 bytes from crypto.randomBytes, base64url). Sanity check that the whole alphabet is in use (6400 symbols,
    // ~100 per symbol expected): a hex or otherwise narrowed generator would fail here.
    const alphabet = new Set(ids.join(''));
    expect(alphabet.size).toBe(64);
    expect(32 * Math.log2(alphabet.size)).toBeGreaterThanOrEqual(128);
  });
});

describe('forged and unsigned cookies (ASVS 7.2.1)', () => {
  it("the raw id of another user's session, a cookie signed with another secret and a tampered signature never reach the store; the victim's session is untouched", async () => {
    const victim = new Agent();
    await victim.signIn(url, 'alice');
    const victimId = victim.sid!;
    const key = `sess:${victimId}`;
    const before = await redis.client().hgetall(key);
    const valid = decodeURIComponent(victim.cookies.get('sid')!);
    const flip = (s: string) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A');
    const forgeries: Record<string, string> = {
      'raw id, unsigned': victimId,
      'signed with another secret': `${victimId}.${signature(victimId, 'not the app secret')}`,
      'tampered signature': flip(valid),
      'valid signature of another value': `${victimId}.${signature(`${victimId}x`, SECRET)}`,
      'id with a trailing dot': `${victimId}.`,
      'express-session format': `s:${victimId}.${signature(victimId, SECRET)}`,
    };

    const gets = countGets(store);
    const commands = await monitored(async () => {
      for (const [what, value] of Object.entries(forgeries)) {
        const headers = { cookie: `sid=${encodeURIComponent(value)}` };
        const home = await fetch(`${url}/`, { headers, redirect: 'manual' });
        expect(home.status, what).toBe(303);
        expect(home.headers.get('location'), what).toMatch(/^\/login/);
        const everywhere = await fetch(`${url}/sessions/sign-out-everywhere`, { method: 'POST', headers, redirect: 'manual' });
        expect(everywhere.status, what).toBe(303);
        expect(everywhere.headers.get('location'), what).toMatch(/^\/login/);
        // A fresh anonymous visitor (the bad cookie is cleared): nothing naming the victim's session comes back.
        expect([...home.headers.getSetCookie(), ...everywhere.headers.getSetCookie()].join(' '), what).not.toContain(victimId);
      }
    });
    gets.restore();

    expect(gets.ids).toEqual([]);
    expect(commands.filter((line) => line.includes(victimId))).toEqual([]);
    expect(await redis.client().hgetall(key)).toEqual(before);
    expect(await victim.whoAmI(url)).toBe('Alice Liddell');
  });
});

describe('session fixation (ASVS 7.2.4)', () => {
  it("signing in with a planted cookie gives a new id; the planted session never becomes the victim's", async () => {
    // The attacker plants their own valid session cookie in the victim's browser.
    const attacker = new Agent();
    await attacker.signIn(url, 'bob');
    const planted = attacker.cookies.get('sid')!;
    const victim = new Agent();
    victim.cookies.set('sid', planted);
    await victim.signIn(url, 'alice');
    expect(victim.sid).not.toBe(attacker.sid);
    expect(await victim.whoAmI(url)).toBe('Alice Liddell');
    // The planted id was destroyed by regenerate: the attacker's copy is signed out, never Alice.
    expect(await attacker.whoAmI(url)).toBeNull();

    // An attacker-chosen (unsigned) id is never adopted either.
    const chosen = 'attacker-chosen-session-id-000000';
    const other = new Agent();
    other.cookies.set('sid', chosen);
    await other.signIn(url, 'alice');
    expect(other.sid).not.toBe(chosen);
    expect(await redis.client().exists(`sess:${chosen}`)).toBe(0);
  });
});

describe('observability: store events and logs never carry raw session ids', () => {
  it('an app can log and meter corrupt, invalidate and revoked-write events with hashed ids; nothing it logs contains a session id', async () => {
    const metrics: Record<string, number> = {};
    const logLines: string[] = [];
    const logEvent = (event: string, fields: Record<string, unknown>) => {
      metrics[event] = (metrics[event] ?? 0) + 1;
      logLines.push(JSON.stringify({ event, ...fields }));
    };
    const onCorrupt = (error: Error, info: { idHash: string }) => logEvent('session.corrupt', { ...info, err: error.message });
    const onInvalidate = (info: { userId: string; count: number }) => logEvent('session.invalidate', info);
    const onEvict = (info: { userId: string; idHashes: string[] }) => logEvent('session.evict', info);
    const onRevokedWrite = (info: { idHash: string }) => logEvent('session.revoked-write', info);
    store.core.on('corrupt', onCorrupt);
    store.core.on('invalidate', onInvalidate);
    store.core.on('evict', onEvict);
    store.core.on('revoked-write', onRevokedWrite);

    const ids: string[] = [];
    try {
      // corrupt: Alice's stored session is unreadable; she is sent to sign in.
      const alice = new Agent();
      await alice.signIn(url, 'alice');
      ids.push(alice.sid!);
      await redis.client().set(`sess:${alice.sid}`, '{"cookie": {"truncated');
      expect(await alice.whoAmI(url)).toBeNull();

      // invalidate: Bob signs out everywhere else, then everywhere.
      const bob1 = new Agent();
      const bob2 = new Agent();
      await bob1.signIn(url, 'bob');
      await bob2.signIn(url, 'bob');
      ids.push(bob1.sid!, bob2.sid!);
      const bob2Session = (await store.get(bob2.sid!))!;
      await bob1.post(`${url}/sessions/sign-out-others`);
      await bob1.post(`${url}/sessions/sign-out-everywhere`);

      // revoked-write: a late save of the revoked session (what express-session does for a request
      // that loaded it before the revocation) is refused and reported.
      await store.set(bob2.sid!, bob2Session);
      expect(await bob2.whoAmI(url)).toBeNull();

      // A Redis failure is logged by the app (one line) with no id in it.
      const carol = new Agent();
      await carol.signIn(url, 'alice');
      ids.push(carol.sid!);
      // Redis refuses the store's scripts (NOPERM): ioredis attaches the refused command, whose
      // arguments name the session key, to its error; none of it may reach the log.
      const admin = redis.client();
      await admin.call('ACL', 'SETUSER', 'default', '-@scripting');
      try {
        const failed = await carol.post(`${url}/login`, { username: 'alice', password: 'password' });
        expect(failed.status).toBe(503);
      } finally {
        await admin.call('ACL', 'SETUSER', 'default', '+@all');
      }
    } finally {
      store.core.off('corrupt', onCorrupt);
      store.core.off('invalidate', onInvalidate);
      store.core.off('evict', onEvict);
      store.core.off('revoked-write', onRevokedWrite);
    }

    expect(metrics).toMatchObject({ 'session.corrupt': 1, 'session.invalidate': 2, 'session.revoked-write': 1 });
    expect(logLines.join('\n')).toContain(hashId(ids[0]!)); // correlatable with the app's own hashId(req.sessionID)
    expect(logLines.join('\n')).toContain(hashId(ids[2]!));
    // The plugin's own warning for the corrupt session, and the error handler's line for NOPERM.
    expect(appLog.some((line) => line.includes('unreadable session') && line.includes(hashId(ids[0]!)))).toBe(true);
    expect(appLog.some((line) => /SessionKit \w+ failed: NOPERM/.test(line))).toBe(true);
    expect(appLog.some((line) => line.includes('incoming request'))).toBe(true);
    const everything = [...logLines, ...printed, ...appLog].join('\n');
    for (const id of ids) expect(everything).not.toContain(id);
  });
});

describe('timeouts (ASVS 7.3.1, 7.3.2)', () => {
  it('the app sets a 7-day idle timeout and a 30-day absolute lifetime from sign-in', async () => {
    const agent = new Agent();
    await agent.signIn(url, 'alice');
    const sessions = await store.listUserSessions('user-alice');
    const session = sessions.find((s) => s.id === agent.sid)!;
    expect(session.absoluteExpiresAt! - session.createdAt).toBe(30 * 24 * 3600 * 1000);
    expect(Math.abs(session.expiresAt - (session.lastSeenAt + 7 * 24 * 3600 * 1000))).toBeLessThan(5000);
  });

  it('an active user is signed out once absoluteTimeout has passed since sign-in', async () => {
    const short = await buildApp({ client: redis.client(), secret: SECRET, absoluteTimeout: 1200 });
    await short.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(short.server.address() as { port: number }).port}`;
    try {
      const agent = new Agent();
      await agent.signIn(base, 'bob');
      const signedInAt = Date.now();
      const seen: [number, string | null][] = [];
      while (Date.now() - signedInAt < 1800) {
        seen.push([Date.now() - signedInAt, await agent.whoAmI(base)]);
        await new Promise((r) => setTimeout(r, 150));
      }
      // Signed in while young (activity all along), signed out for good after 1.2 s.
      expect(seen.filter(([t]) => t < 1000).every(([, who]) => who === 'Bob Marley')).toBe(true);
      expect(seen.filter(([t]) => t > 1300).every(([, who]) => who === null)).toBe(true);
    } finally {
      await short.close();
    }
  });
});
