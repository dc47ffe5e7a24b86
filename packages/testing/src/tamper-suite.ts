import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { readRecordData, writeRecordData } from './records.js';
import { tamperedValueCases, tamperedValueTitle, type TamperCase } from './tampering.js';

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
export interface TamperBrowser {
  readonly sid?: string;
  // biome-ignore lint/suspicious/noExplicitAny: the test app's JSON replies; the suite asserts the shape it reads.
  request(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }>;
}

/** The store's event emitter (FrameworkStore's `core`), which reports corrupt sessions by id hash. */
export interface CorruptEvents {
  on(event: 'corrupt', listener: (error: Error, detail: { idHash: string }) => void): unknown;
}

export interface TamperSuiteOptions<B extends TamperBrowser> {
  /** The file's redis-server (useRedis): its raw ioredis client does the tampering. */
  redis: { client(): Redis };
  /** The adapter's hashId: how the store names a session in its events. */
  hashId: (id: string) => string;
  /**
   * Starts the app once for the suite: its URL, and either the store's event emitter (`core`)
   * or, for an app in another process, how to read the id hashes it reported as corrupt so far.
   * With `saveNote`, its store must have maxPayloadBytes below 4 MiB.
   */
  start: () => Promise<{ url: string; core?: CorruptEvents; corruptReported?: () => Promise<string[]> }>;
  /** A new browser on the app. */
  browser: (url: string) => B;
  /** The sign-in request for `user`: a POST to this path, with this JSON body if any. By default `/login` with `{ user }`. */
  signIn?: (user: string) => [path: string, body?: unknown];
  /** The app's "who am I" route (GET): `/inspect` by default. */
  whoAmI?: string;
  /**
   * A POST route that changes the session and saves it, answering `{ code }` when the save
   * fails. Given, the suite also runs the oversized stored value test.
   */
  saveNote?: string;
  /** The cases to run: tamperedValueCases by default. */
  cases?: TamperCase[];
  /**
   * The session id "who am I" shows once a tampered session is dropped: any but the dropped one
   * ('fresh', the default: the framework may make a new anonymous session at once) or null ('null':
   * no session at all).
   */
  anonymousSid?: 'fresh' | 'null';
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
export function defineTamperSuite<B extends TamperBrowser>(options: TamperSuiteOptions<B>): void {
  const client = () => options.redis.client();
  const signInRequest = options.signIn ?? ((user: string) => ['/login', { user }]);
  const whoAmIPath = options.whoAmI ?? '/inspect';
  describe('tampered stored values, over HTTP', () => {
    let url: string;
    let corruptReported: () => Promise<string[]>;
    let bob: B;
    const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
    beforeAll(async () => {
      const app = await options.start();
      url = app.url;
      const reports: string[] = [];
      app.core?.on('corrupt', (_error, { idHash }) => void reports.push(idHash));
      corruptReported = app.corruptReported ?? (async () => reports);
      ({ browser: bob } = await signIn('bob'));
    });
    const signInAgain = async (browser: B, user: string) => {
      const [path, body = {}] = signInRequest(user);
      return browser.request('POST', path, body);
    };
    /** A new browser signed in as `user`, and its session id: the browser's `sid`, else the one the sign-in reply names. */
    async function signIn(user: string): Promise<{ browser: B; sid: string }> {
      const browser = options.browser(url);
      const { status, json } = await signInAgain(browser, user);
      const sid = browser.sid ?? json?.sid;
      if (status !== 200 || typeof sid !== 'string') throw new Error(`sign-in as ${user}: ${status}`);
      return { browser, sid };
    }
    const whoAmI = async (browser: B) => {
      const { status, json } = await browser.request('GET', whoAmIPath);
      return { status, body: json as WhoAmI };
    };
    const expectBobUntouched = async () => expect((await whoAmI(bob)).body).toMatchObject({ userId: 'bob', polluted: null });

    for (const [what, tamper, expected] of options.cases ?? tamperedValueCases(client)) {
      it(tamperedValueTitle(what, expected), async () => {
        const { browser: alice, sid } = await signIn('alice');
        const reported = (await corruptReported()).length;
        await tamper(`sess:${sid}`);
        const me = await whoAmI(alice);
        expect(me.status).toBe(200);
        expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeBefore);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        expect(me.body.polluted).toBeNull();
        if (expected === 'absent') {
          expect(me.body.userId).toBeNull();
          if (options.anonymousSid === 'null') expect(me.body.sid).toBeNull();
          else expect(me.body.sid).not.toBe(sid);
          expect((await corruptReported()).slice(reported)).toEqual([options.hashId(sid)]);
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

    const saveNote = options.saveNote;
    if (!saveNote) return;
    it('a 4 MiB stored value (beyond maxPayloadBytes, which bounds writes): it loads; saving it fails that request with a 500 (ERR_PAYLOAD_TOO_LARGE), no crash; signing in again replaces it', async () => {
      const { browser: alice, sid } = await signIn('alice');
      const key = `sess:${sid}`;
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
