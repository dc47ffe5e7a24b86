import type { Redis } from 'ioredis';
import fc, { type Arbitrary } from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecordData, sessionKey, writeRecordData } from './records.js';
import { hostileSessionId } from './hostile-cookies.js';
import { tamperedValueCases, tamperedValueTitle, type StoredCookie, type TamperCase } from './tampering.js';

/** What each adapter's test app answers on its "who am I" route (`/me` or `/inspect`). */
export interface WhoAmI {
  sid: string | null;
  userId: string | null;
  keys: string[];
  /** Global pollution, or a key read through a replaced session prototype; null when neither. */
  polluted: unknown;
}

/**
 * A browser of an adapter's tests (an HttpClient): a cookie jar over fetch. Its session id is its
 * `sid` where it reads one from its cookie, else the `sid` the app's sign-in reply names.
 */
export interface SecurityBrowser {
  readonly sid?: string;
  /** Its cookie jar (for `clearedCookie`). */
  readonly cookies?: { has(name: string): boolean };
  // biome-ignore lint/suspicious/noExplicitAny: the test app's JSON replies; the suite asserts the shape it reads.
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** The store's event emitter (FrameworkStore's `core`), which reports corrupt sessions by id hash. */
export interface CorruptEvents {
  core: { on(event: 'corrupt', listener: (error: Error, detail: { idHash: string }) => void): unknown };
}

/** A store whose `get` takes the session id first (the express-session, @fastify/session and koa-session stores). */
export interface StoreLookups {
  // biome-ignore lint/suspicious/noExplicitAny: the frameworks' callback and option arguments differ.
  get(id: string, ...rest: any[]): any;
}

/** One adapter's test app, as the shared security suites drive it over HTTP. */
export interface SecurityApp<B extends SecurityBrowser> {
  /** The file's redis-server (useRedis): its raw ioredis client reads and tampers with stored values. */
  redis: { client(): Redis };
  /**
   * Starts the app (once per suite): its URL, and how the suites see what its store does. An
   * in-process store (`store`, a FrameworkStore): its `core` events report corrupt sessions, and
   * its `get` shows which ids reach it. Else `core`, `corruptReported` (for an app in another
   * process: the id hashes it reported as corrupt so far) and `watch` (what reached the store
   * while `work` ran: the ids it was asked to load, or the Redis commands), as the suite needs.
   * With `routes.saveNote`, the store must have maxPayloadBytes below 4 MiB.
   */
  start: () => Promise<{
    url: string;
    store?: CorruptEvents & StoreLookups;
    core?: CorruptEvents['core'];
    corruptReported?: () => Promise<string[]>;
    watch?: (work: () => Promise<void>) => Promise<string[]>;
  }>;
  /** A new browser on the app. */
  browser: (url: string) => B;
  /**
   * The app's routes. `signIn` (POST): with `:user` in it, that path with the user's name; else
   * that path with the JSON body `{ user }` (`/login` by default). `whoAmI` (GET): `/inspect` by
   * default. `saveNote` (POST, tamper suite only): changes the session and saves it, answering
   * `{ code }` when the save fails; given, the suite also runs the oversized stored value test.
   */
  routes?: { signIn?: string; whoAmI?: string; saveNote?: string };
  /**
   * The session id "who am I" shows without a session: any but the victim's or the dropped one
   * ('fresh', the default: the framework may make a new anonymous session at once) or null ('null':
   * no session at all).
   */
  anonymousSid?: 'fresh' | 'null';
}

/** The requests both suites make, on one running app. */
function driver<B extends SecurityBrowser>(app: SecurityApp<B>, url: () => string) {
  const signInPath = app.routes?.signIn ?? '/login';
  const whoAmIPath = app.routes?.whoAmI ?? '/inspect';
  const signInAgain = (browser: B, user: string) =>
    signInPath.includes(':user') ? browser.request('POST', signInPath.replace(':user', user), {}) : browser.request('POST', signInPath, { user });
  return {
    /** What the app's store reports and sees, from what `start` gave. */
    async start() {
      const started = await app.start();
      return {
        url: started.url,
        core: started.core ?? started.store?.core,
        corruptReported: started.corruptReported,
        watch: started.watch ?? (started.store && watchLookups(started.store, 'get')),
      };
    },
    signInAgain,
    /** A new browser signed in as `user`, and its session id: the browser's `sid`, else the one the sign-in reply names. */
    async signIn(user: string): Promise<{ browser: B; sid: string }> {
      const browser = app.browser(url());
      const { status, json } = await signInAgain(browser, user);
      const sid = browser.sid ?? json?.sid;
      if (status !== 200 || typeof sid !== 'string') throw new Error(`sign-in as ${user}: ${status}`);
      return { browser, sid };
    },
    async whoAmI(browser: B) {
      const { status, json } = await browser.request('GET', whoAmIPath);
      return { status, body: json as WhoAmI };
    },
    /** The "who am I" route with `cookie` as the whole Cookie header (a forged one): the reply and its Set-Cookie headers. */
    async forged(cookie: string) {
      const res = await fetch(`${url()}${whoAmIPath}`, { headers: { cookie }, signal: AbortSignal.timeout(5000) });
      return { status: res.status, body: (await res.json()) as WhoAmI, setCookie: res.headers.getSetCookie().join(' ') };
    },
    expectAnonymous(body: WhoAmI, notSid: string) {
      expect(body.userId).toBeNull();
      if (app.anonymousSid === 'null') expect(body.sid).toBeNull();
      else expect(body.sid).not.toBe(notSid);
    },
  };
}

export interface TamperSuiteOptions<B extends SecurityBrowser> extends SecurityApp<B> {
  /** The adapter's hashId: how the store names a session in its events. */
  hashId: (id: string) => string;
  /** What the stored `cookie` is to the framework: see tamperedValueCases. */
  cookie: StoredCookie;
  /** Cases to run after tamperedValueCases'. */
  moreCases?: TamperCase[];
  /** The session cookie the app clears once it drops a session as corrupt (checked in the browser's jar). */
  clearedCookie?: string;
  /** More checks on a browser whose session was just dropped as corrupt, before it signs in again. */
  afterDropped?: (browser: B) => Promise<void>;
}

/**
 * The "tampered stored values, over HTTP" tests every adapter runs against its own test app: each
 * case tampers with a signed-in user's stored value, then the next request must not crash, must
 * not pollute any prototype, must not show another session, and must either drop the session
 * (reported as corrupt; signing in again works) or keep it minus the dangerous keys. The titles
 * come from tamperedValueTitle: docs/security.md cites them word for word.
 */
export function defineTamperSuite<B extends SecurityBrowser>(options: TamperSuiteOptions<B>): void {
  const client = () => options.redis.client();
  describe('tampered stored values, over HTTP', () => {
    let url: string;
    let corruptReported: () => Promise<string[]>;
    let bob: B;
    const { start, signIn, signInAgain, whoAmI, expectAnonymous } = driver(options, () => url);
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    beforeAll(async () => {
      const app = await start();
      url = app.url;
      const reports: string[] = [];
      app.core?.on('corrupt', (_error, { idHash }) => void reports.push(idHash));
      corruptReported = app.corruptReported ?? (async () => reports);
      ({ browser: bob } = await signIn('bob'));
    });
    const expectBobUntouched = async () => expect((await whoAmI(bob)).body).toMatchObject({ userId: 'bob', polluted: null });

    for (const [what, tamper, expected] of [...tamperedValueCases(client, options.cookie), ...(options.moreCases ?? [])]) {
      it(tamperedValueTitle(what, expected), async () => {
        const { browser: alice, sid } = await signIn('alice');
        const reported = (await corruptReported()).length;
        await tamper(sessionKey(sid));
        const me = await whoAmI(alice);
        expect(me.status).toBe(200);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(me.body.polluted).toBeNull();
        if (expected === 'absent') {
          expectAnonymous(me.body, sid);
          expect((await corruptReported()).slice(reported)).toEqual([options.hashId(sid)]);
          if (options.clearedCookie) expect(alice.cookies?.has(options.clearedCookie)).toBe(false);
          await options.afterDropped?.(alice);
          expect((await signInAgain(alice, 'alice')).status).toBe(200);
          expect((await whoAmI(alice)).body.userId).toBe('alice');
        } else {
          expect(me.body).toMatchObject({ userId: 'alice', sid });
          expect(me.body.keys).not.toContain('polluted');
          expect(me.body.keys).not.toContain('__proto__');
        }
        await expectBobUntouched();
      });
    }
    const saveNote = options.routes?.saveNote;
    if (!saveNote) return;
    it('a 4 MiB stored value (beyond maxPayloadBytes, which bounds writes): it loads; saving it fails that request with a 500 (ERR_PAYLOAD_TOO_LARGE), no crash; signing in again replaces it', async () => {
      const { browser: alice, sid } = await signIn('alice');
      const key = sessionKey(sid);
      const data = JSON.parse(await readRecordData(client(), key));
      await writeRecordData(client(), key, JSON.stringify({ ...data, pad: 'x'.repeat(4 * 1024 * 1024) }));
      expect((await whoAmI(alice)).body).toMatchObject({ userId: 'alice', sid });
      const save = await alice.request('POST', saveNote, {});
      expect(save.status).toBe(500);
      expect(save.json.code).toBe('ERR_PAYLOAD_TOO_LARGE');
      expect((await whoAmI(alice)).body.userId).toBe('alice'); // still readable, unchanged
      expect((await signInAgain(alice, 'alice')).status).toBe(200);
      expect((await alice.request('POST', saveNote, {})).status).toBe(200);
      await expectBobUntouched();
    });
  });
}

export interface HostileCookieSuiteOptions<B extends SecurityBrowser> extends SecurityApp<B> {
  /** The two tests' titles, each adapter's own (docs/security.md cites them word for word). */
  titles: { forged: string; signed: string };
  /** Whole Cookie headers forging the victim's session (its id is `victimId`): hostileCookieValue's values, in the framework's cookie layout. */
  forgedCookies: (victimId: string) => Arbitrary<string>;
  /** The Cookie header for `id` validly signed, as the framework signs it. */
  signedCookie: (id: string) => string;
  /**
   * What of the forgeries reaches the store: 'nothing' (the framework turns away a bad signature
   * before the store), or 'not the victim' (other ids may be looked up, never the victim's).
   */
  forgedReach: 'nothing' | 'not the victim';
  /**
   * What of the validly signed hostile ids reaches the store: 'exact keys' (each is looked up as
   * the key it is, never the victim's), or 'nothing' (the adapter refuses ids not of its own shape).
   */
  signedReach: 'exact keys' | 'nothing';
}

/**
 * The "hostile cookies, property-based, over HTTP" tests every adapter runs against its own test
 * app: forged cookies (glob characters, hash tags, long strings, unicode, near-misses of the
 * victim's real cookie) and validly signed hostile ids never crash the server, never load a
 * session, never reach the victim's, and leave the victim signed in.
 */
export function defineHostileCookieSuite<B extends SecurityBrowser>(options: HostileCookieSuiteOptions<B>): void {
  describe('hostile cookies, property-based, over HTTP', () => {
    let url: string;
    let watch: (work: () => Promise<void>) => Promise<string[]>;
    let victim: B;
    let victimId: string;
    const { start, signIn, whoAmI, forged, expectAnonymous } = driver(options, () => url);
    beforeAll(async () => {
      const app = await start();
      url = app.url;
      if (!app.watch) throw new Error('the hostile cookie suite watches what reaches the store: start() must give `watch`');
      watch = app.watch;
      const signedIn = await signIn('alice');
      victim = signedIn.browser;
      victimId = signedIn.sid;
    });

    it(options.titles.forged, async () => {
      const client = options.redis.client();
      const before = await client.get(sessionKey(victimId));
      const reached = await watch(() =>
        fc.assert(
          fc.asyncProperty(options.forgedCookies(victimId), async (cookie) => {
            const res = await forged(cookie);
            expect(res.status).toBe(200);
            expectAnonymous(res.body, victimId);
            expect(res.setCookie).not.toContain(victimId);
          }),
          { numRuns: 200 },
        ),
      );
      if (options.forgedReach === 'nothing') expect(reached).toEqual([]);
      else expect(reached).not.toContain(victimId);
      expect(await client.get(sessionKey(victimId))).toEqual(before);
      expect((await whoAmI(victim)).body.userId).toBe('alice');
    });

    it(options.titles.signed, async () => {
      const reached = await watch(() =>
        fc.assert(
          fc.asyncProperty(hostileSessionId(victimId), async (id) => {
            const res = await forged(options.signedCookie(id));
            expect(res.status).toBe(200);
            expect(res.body.userId).toBeNull();
          }),
          { numRuns: 100 },
        ),
      );
      if (options.signedReach === 'nothing') expect(reached).toEqual([]);
      else {
        expect(reached.length).toBeGreaterThan(0);
        expect(reached).not.toContain(victimId);
      }
      expect((await whoAmI(victim)).body.userId).toBe('alice');
    });
  });
}

/**
 * Records the ids `target[method]` (a store's `get`, an engine's `load`) is called with, for a
 * SecurityApp's `watch`: what reached the store while `work` ran.
 */
export function watchLookups<K extends string>(
  // biome-ignore lint/suspicious/noExplicitAny: any store method whose first argument is the id.
  target: { [key in K]: (id: string, ...rest: any[]) => any },
  method: K,
): (work: () => Promise<void>) => Promise<string[]> {
  const ids: string[] = [];
  const original = target[method].bind(target);
  // biome-ignore lint/suspicious/noExplicitAny: as above.
  target[method] = ((id: string, ...rest: any[]) => (ids.push(id), original(id, ...rest))) as (typeof target)[K];
  return async (work) => {
    ids.length = 0;
    await work();
    return [...ids];
  };
}
