import type { Redis } from 'ioredis';
import { readRecordData, writeRecordData } from './records.js';

/**
 * What the signed-in user ('alice') should see after her stored session was tampered with:
 * 'absent' is no session (reported as corrupt), 'alice' is still her session.
 */
export type TamperExpectation = 'absent' | 'alice';

/** One way to tamper with a stored session: a name for the test title, and what to do to the key. */
export type TamperCase = [what: string, tamper: (key: string) => Promise<unknown>, expected: TamperExpectation];

/**
 * What the stored `cookie` key is to a framework: 'required' (express-session and @fastify/session
 * read it from every stored session, so a value without one is broken too), 'optional' (Koa
 * stores none with maxAge 'session'), or 'app data' (the Hono middleware and the Next kit keep no
 * cookie in the data: a `cookie` key is the app's own, so a null one is data like any other).
 */
export type StoredCookie = 'required' | 'optional' | 'app data';

/**
 * The stored-value tampering cases the adapters' "tampered stored values, over HTTP" tests run
 * against a session key (`sess:<id>` on a single node). `client` gives the raw ioredis client
 * that does the tampering; `cookie` adds or leaves out the cases about the stored `cookie`.
 */
export function tamperedValueCases(client: () => Redis, cookie: StoredCookie = 'optional'): TamperCase[] {
  const cases: TamperCase[] = [
    ['truncated JSON (string value)', (key) => client().set(key, '{"cookie":{"originalMaxAge":60000,"userId":"ali'), 'absent'],
    ['truncated JSON in the record', (key) => writeRecordData(client(), key, '{"cookie":{"originalMaxAge":6'), 'absent'],
    ['JSON that is not an object', (key) => writeRecordData(client(), key, '"just a string"'), 'absent'],
    ['JSON null', (key) => writeRecordData(client(), key, 'null'), 'absent'],
    ['a record with a damaged header', async (key) => client().set(key, (await client().get(key))!.replace(/\|\d+\|/, '|x|'), 'KEEPTTL'), 'absent'],
    ['a list under the key', async (key) => (await client().del(key), client().rpush(key, 'x')), 'absent'],
    ['a stream under the key', async (key) => (await client().del(key), client().xadd(key, '*', 'f', 'v')), 'absent'],
    [
      '__proto__ and constructor.prototype keys',
      async (key) => {
        const data = JSON.parse(await readRecordData(client(), key));
        const text = `${JSON.stringify(data).slice(0, -1)},"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}}`;
        return writeRecordData(client(), key, text);
      },
      'alice',
    ],
    [
      'escaped __proto__, constructor and prototype keys (\\u005f_proto__)',
      async (key) => {
        const data = JSON.parse(await readRecordData(client(), key));
        // JSON escapes spell the same keys without the literal words in the text.
        const text = `${JSON.stringify(data).slice(0, -1)},"\\u005f_proto__":{"polluted":"yes","isAdmin":true},"\\u0063onstructor":{"pr\\u006ftotype":{"polluted":"yes"}},"nested":{"__pr\\u006fto__":{"polluted":"yes"}}}`;
        return writeRecordData(client(), key, text);
      },
      'alice',
    ],
  ];
  if (cookie !== 'app data') cases.push(['a cookie that is null', (key) => writeRecordData(client(), key, '{"cookie":null,"userId":"alice"}'), 'absent']);
  if (cookie === 'required') cases.push(['JSON {} (no cookie)', (key) => writeRecordData(client(), key, '{}'), 'absent']);
  return cases;
}

/** The title of one tampering test. One definition for both adapters: docs/security.md cites it word for word. */
export function tamperedValueTitle(what: string, expected: TamperExpectation): string {
  return `${what}: no crash, no prototype pollution, no other session; ${expected === 'absent' ? 'treated as no session (reported), and signing in again works' : "still the same user's session, minus the dangerous keys"}`;
}
