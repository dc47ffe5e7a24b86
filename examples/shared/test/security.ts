import { createHmac } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashId, type SessionInfo, type SessionStoreEvents } from '@sessionkit/core';
import type { AgentClass } from './agent.js';
import type { TestRedis } from '@sessionkit/testing';
import { sessionHandle, sessionKey } from '@sessionkit/testing';

/**
 * Security checks on an example app over real HTTP and a real redis-server: session id entropy,
 * forged cookies, fixation, and what the store's events and the app's logs reveal.
 * docs/security.md maps these tests to OWASP ASVS 5.0 V7.
 */

/**
 * base64(HMAC-SHA256(secret, value)) without padding: the signature express-session and
 * @fastify/session both put after the id in the session cookie (with and without an "s:" prefix).
 */
export const signature = (value: string, secret: string) => createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');

/** `value` with its last character changed (a tampered signature). */
export const flipLast = (value: string) => value.slice(0, -1) + (value.endsWith('A') ? 'B' : 'A');

/** The parts of an adapter's RedisStore these tests use; both adapters have them. */
export interface StoreUnderTest {
  /** What the framework calls to load a session; wrapped to count the ids it is asked for. */
  get(sid: string, ...rest: unknown[]): unknown;
  /** The core store, for its events. */
  core: EventEmitter<SessionStoreEvents>;
  listUserSessions(userId: string): Promise<SessionInfo[]>;
}

export interface SecurityApp<Store extends StoreUnderTest> {
  url: string;
  store: Store;
  close(): Promise<void>;
}

/** What the security suites need of an app: the framework glue, nothing else. */
export interface SecurityTarget<Store extends StoreUnderTest, Data> {
  /** The file's redis-server (useRedis). */
  redis: TestRedis;
  secret: string;
  /** The app's cookie jar (it knows how the session id sits in the app's signed cookie). */
  Agent: AgentClass;
  /** The app most tests use, started once for the file. */
  start(): Promise<SecurityApp<Store>>;
  /** Another instance, whose absolute session lifetime is `ms`. */
  startWithAbsoluteTimeout(ms: number): Promise<SecurityApp<Store>>;
  /** The session id in a `sid` cookie value when `secret` signed it, else false. */
  unsign(cookie: string, secret: string): string | false;
  /** Cookie values that must not load the victim's session, by what each one is. `valid` is the victim's decoded cookie. */
  forgeries(victimId: string, valid: string): Record<string, string>;
  /** The stored session `id`, as a request loads it. */
  loadSession(store: Store, id: string): Promise<Data | null>;
  /** Saves `session` under `id`, as the framework does when a request ends. */
  saveSession(store: Store, id: string, session: Data): Promise<void>;
  /** The observability test, whose title and log checks depend on where the app logs. */
  observability: {
    title: string;
    /** The app's log lines that are not console output (Fastify's logger); searched for ids too. */
    appLog: string[];
    /**
     * What the app's own log must show (the NOPERM failure at least). `ids` are the sessions of
     * the test in order: the corrupt one first, the one whose sign-in met NOPERM last.
     */
    checkLog(ids: string[], printed: string[]): void;
  };
}

/**
 * `unsign` for a cookie laid out as id + "." + signature (Hono's signed cookie, the Next kit's),
 * URI-encoded; `signatureOf` is the app's signature of a value with a secret.
 */
export function dotSignedUnsign(signatureOf: (value: string, secret: string) => string): SecurityTarget<StoreUnderTest, unknown>['unsign'] {
  return (cookie, secret) => {
    const value = decodeURIComponent(cookie);
    const dot = value.lastIndexOf('.');
    if (dot < 0) return false;
    const id = value.slice(0, dot);
    return value.slice(dot + 1) === signatureOf(id, secret) ? id : false;
  };
}

/**
 * The observability check of an app whose log is the console (Express, Hono, Next.js): it prints one
 * line per Redis failure, so the NOPERM the test provokes must show there.
 */
export const consoleLogObservability: SecurityTarget<StoreUnderTest, unknown>['observability'] = {
  title: 'an app can log and meter corrupt, invalidate and revoked-write events with hashed ids; nothing it prints contains a session id',
  appLog: [],
  checkLog: (_ids, printed) => {
    expect(
      printed.some((line) => /SessionKit \w+ failed: NOPERM/.test(line)),
      printed.join('\n'),
    ).toBe(true);
  },
};

/**
 * Defines the security suites for one app. Call it once, at the top level of the app's
 * security.test.ts, after `useRedis()`.
 */
export function defineSecuritySuites<Store extends StoreUnderTest, Data>(target: SecurityTarget<Store, Data>): void {
  const { redis, secret, Agent, unsign, observability } = target;

  // Everything the app prints during this file, to check that no raw session id is ever logged.
  const printed: string[] = [];
  const originals = { log: console.log, error: console.error, warn: console.warn };
  beforeAll(() => {
    for (const name of ['log', 'error', 'warn'] as const) {
      console[name] = (...args: unknown[]) => void printed.push(args.map((a) => (a instanceof Error ? `${a.stack} ${String(a.cause)}` : String(a))).join(' '));
    }
  });
  afterAll(() => Object.assign(console, originals));

  let app: SecurityApp<Store>;
  let store: Store;
  let url: string;
  beforeAll(async () => {
    app = await target.start();
    store = app.store;
    url = app.url;
  });
  afterAll(async () => {
    await app?.close();
  });

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
  function countGets(wrapped: StoreUnderTest): { ids: string[]; restore(): void } {
    const ids: string[] = [];
    const original = wrapped.get;
    wrapped.get = function (this: StoreUnderTest, sid: string, ...rest: unknown[]) {
      ids.push(sid);
      return original.call(this, sid, ...rest);
    };
    return {
      ids,
      restore: () => {
        wrapped.get = original;
      },
    };
  }

  describe('session ids (ASVS 7.2.3)', () => {
    it('200 sign-ins give 200 distinct ids, each 32 base64url characters (192 bits >= 128), checked by unsigning the cookie with the app secret', async () => {
      const ids: string[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async (_, worker) => {
          for (let i = 0; i < 25; i++) {
            const agent = new Agent();
            await agent.signIn(url, worker % 2 ? 'alice' : 'bob');
            const id = unsign(agent.cookies.get('sid')!, secret);
            expect(id, 'cookie signed with the app secret').not.toBe(false);
            ids.push(id as string);
          }
        }),
      );
      expect(ids).toHaveLength(200);
      expect(new Set(ids).size).toBe(200);
      for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
      // 32 symbols of a 64-symbol alphabet: 32 * log2(64) = 192 bits when uniformly random (24
      // bytes from crypto.randomBytes, base64url: uid-safe in express-session, idGenerator in
      // @fastify/session). Sanity check that the whole alphabet is in use (6400 symbols, ~100 per
      // symbol expected): a hex or otherwise narrowed generator would fail here.
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
      const key = sessionKey(victimId);
      const before = await redis.client().get(key);
      const valid = decodeURIComponent(victim.cookies.get('sid')!);
      const forgeries = target.forgeries(victimId, valid);

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
          // A fresh anonymous visitor: nothing naming the victim's session comes back.
          expect([...home.headers.getSetCookie(), ...everywhere.headers.getSetCookie()].join(' '), what).not.toContain(victimId);
        }
      });
      gets.restore();

      expect(gets.ids).toEqual([]);
      expect(commands.filter((line) => line.includes(victimId))).toEqual([]);
      expect(await redis.client().get(key)).toEqual(before);
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
      expect(await redis.client().exists(sessionKey(chosen))).toBe(0);
    });
  });

  describe('observability: store events and logs never carry raw session ids', () => {
    it(observability.title, async () => {
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
        await redis.client().set(sessionKey(alice.sid!), '{"cookie": {"truncated');
        expect(await alice.whoAmI(url)).toBeNull();

        // invalidate: Bob signs out everywhere else, then everywhere.
        const bob1 = new Agent();
        const bob2 = new Agent();
        await bob1.signIn(url, 'bob');
        await bob2.signIn(url, 'bob');
        ids.push(bob1.sid!, bob2.sid!);
        const bob2Session = (await target.loadSession(store, bob2.sid!))!;
        await bob1.post(`${url}/sessions/sign-out-others`);
        await bob1.post(`${url}/sessions/sign-out-everywhere`);

        // revoked-write: a late save of the revoked session (what the framework does for a
        // request that loaded it before the revocation) is refused and reported.
        await target.saveSession(store, bob2.sid!, bob2Session);
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
      observability.checkLog(ids, printed);
      const everything = [...logLines, ...printed, ...observability.appLog].join('\n');
      for (const id of ids) expect(everything).not.toContain(id);
    });
  });

  describe('timeouts (ASVS 7.3.1, 7.3.2)', () => {
    it('the app sets a 7-day idle timeout and a 30-day absolute lifetime from sign-in', async () => {
      const agent = new Agent();
      await agent.signIn(url, 'alice');
      const sessions = await store.listUserSessions('user-alice');
      const session = sessions.find((s) => s.id === sessionHandle(agent.sid!))!;
      expect(session.absoluteExpiresAt! - session.createdAt).toBe(30 * 24 * 3600 * 1000);
      expect(Math.abs(session.expiresAt - (session.lastSeenAt + 7 * 24 * 3600 * 1000))).toBeLessThan(5000);
    });

    it('an active user is signed out once absoluteTimeout has passed since sign-in', async () => {
      const short = await target.startWithAbsoluteTimeout(1200);
      const base = short.url;
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
}
