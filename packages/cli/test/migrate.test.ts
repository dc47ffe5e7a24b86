import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import express from 'express';
import session from 'express-session';
import { RedisStore as ConnectRedisStore } from 'connect-redis9';
import type { Redis } from 'ioredis';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isHandle, SessionStore } from '@sessionkit/core';
import { useRedis } from '@sessionkit/testing';
import { Browser, expectNoStack, expressApp, LAPTOP, PHONE, redisUrl, sessionkit, sessionkitJson, spawnSessionkit, type App } from './helpers.js';

/**
 * `sessionkit migrate` on sessions that connect-redis 9 wrote on a node-redis client, signed in
 * through express-session as an app did before the switch. After the migration, SessionKit's
 * logout-everywhere must reach every one of them without any request through SessionKit first,
 * and connect-redis must still read them until then (the values are not rewritten).
 */

const SECRET = 'cli test secret'; // the same as helpers' expressApp: the cookies work in both apps

const redis = useRedis();
let admin: Redis;
let url: string;
let nodeRedis: RedisClientType;
let before: { url: string; close(): Promise<void> };
/** The app after the switch: @sessionkit/express (hashed ids, the default) on an ioredis client, same Redis, same prefix. */
let after: App;

/** The app before the switch: express-session on connect-redis 9 with a node-redis client. */
async function connectRedisApp(client: RedisClientType) {
  const app = express();
  app.use(
    session({
      store: new ConnectRedisStore({ client, prefix: 'sess:' }),
      secret: SECRET,
      resave: false,
      saveUninitialized: false,
      cookie: { maxAge: 3_600_000 },
    }),
  );
  // Three ways apps keep the owner, all three found by default, as the stores find them: userId,
  // user.id and Passport's passport.user.
  app.post('/login/:user', (req, res) => {
    (req.session as unknown as { userId: string }).userId = req.params.user;
    res.json({ sid: req.sessionID });
  });
  app.post('/login-object/:user', (req, res) => {
    (req.session as unknown as { user: { id: string; name: string } }).user = { id: req.params.user, name: 'x' };
    res.json({ sid: req.sessionID });
  });
  app.post('/login-passport/:user', (req, res) => {
    (req.session as unknown as { passport: { user: string } }).passport = { user: req.params.user };
    res.json({ sid: req.sessionID });
  });
  app.post('/visit', (req, res) => {
    (req.session as unknown as { visits: number }).visits = 1;
    res.json({ sid: req.sessionID });
  });
  app.get('/me', (req, res) => {
    res.json({ userId: (req.session as unknown as { userId?: string }).userId ?? null });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  admin = redis.client();
  url = redisUrl(admin);
  nodeRedis = createClient({ url });
  await nodeRedis.connect();
  before = await connectRedisApp(nodeRedis);
  after = await expressApp(redis.client());
});
afterAll(async () => {
  await before?.close();
  await after?.close();
  await nodeRedis?.quit();
});
beforeEach(async () => {
  await admin.flushdb();
});

async function signInBefore(path: string, userAgent = LAPTOP): Promise<Browser> {
  const browser = new Browser(before.url, userAgent);
  await browser.post(path);
  return browser;
}

/** Every key and value, to show that a run changed nothing (or only added index keys). */
async function snapshot(pattern: string): Promise<Map<string, string | null>> {
  const keys = (await admin.keys(pattern)).sort();
  return new Map(await Promise.all(keys.map(async (key) => [key, await admin.get(key)] as [string, string | null])));
}

/**
 * `sessionkit migrate` at 100 keys/s (about four seconds for a few hundred keys: time enough to
 * stop it part way), interrupted (SIGINT) once `started` sees some of its work; its --json summary.
 */
async function interruptedMigrate(args: string[], started: () => Promise<boolean>) {
  const run = spawnSessionkit(['--url', url, 'migrate', ...args, '--rate', '100', '--json']);
  while (!(await started())) await sleep(50);
  run.kill('SIGINT');
  const stopped = await run.done;
  expect(stopped.code, stopped.stderr).toBe(130);
  const part = JSON.parse(stopped.stdout);
  expect(part.complete).toBe(false);
  return part;
}

async function signInMix() {
  const ann = [await signInBefore('/login/ann'), await signInBefore('/login/ann', PHONE), await signInBefore('/login/ann')];
  const bob = [await signInBefore('/login-object/bob')];
  const carol = [await signInBefore('/login-passport/carol'), await signInBefore('/login-passport/carol')];
  const anonymous = [await signInBefore('/visit'), await signInBefore('/visit')];
  return { ann, bob, carol, anonymous };
}

describe('migrate --index-only --dry-run', () => {
  it('counts what a run would index and writes nothing', async () => {
    await signInMix();
    const sessions = await snapshot('*');
    expect(sessions.size).toBe(8);

    const run = await sessionkitJson(['--url', url, 'migrate', '--index-only', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({
      dryRun: true,
      complete: true,
      connectRedisSessions: 8,
      wouldIndex: 6, // ann's 3, bob's 1 and carol's 2 (Passport's passport.user)
      alreadyIndexed: 0,
      anonymous: 2,
      skipped: 0,
      failed: 0,
    });
    // --user-field looks only there.
    const withField = await sessionkitJson(['--url', url, 'migrate', '--index-only', '--dry-run', '--user-field', 'passport.user']);
    expect(withField.json).toMatchObject({ wouldIndex: 2, anonymous: 6, userField: 'passport.user' });
    expect(await snapshot('*')).toEqual(sessions);
  });
});

describe('migrate --index-only', () => {
  it('indexes connect-redis sessions without rewriting them; logout-everywhere then reaches them with no request through SessionKit', async () => {
    const { ann, bob, carol, anonymous } = await signInMix();
    const values = await snapshot('sess:*');

    const run = await sessionkitJson(['--url', url, 'migrate', '--index-only']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ dryRun: false, complete: true, connectRedisSessions: 8, indexed: 6, alreadyIndexed: 0, anonymous: 2, failed: 0 });
    // Rollback-safe: every session value is byte for byte what connect-redis wrote, and it still reads them.
    expect(await snapshot('sess:*')).toEqual(values);
    for (const browser of ann) expect(await browser.me()).toBe('ann');
    // Listed as the owner's sessions already, before any request through SessionKit.
    const listed = await sessionkitJson(['--url', url, 'list', 'ann']);
    expect(listed.json.sessions.map((s: { id: string }) => s.id).sort()).toEqual(ann.map((b) => b.sid).sort());
    expect(listed.json.sessions.every((s: { legacy?: boolean }) => s.legacy === true)).toBe(true);

    const store = new SessionStore({ client: redis.client() });
    expect(await store.invalidateAllUserSessions('ann')).toBe(3);
    expect(await store.invalidateAllUserSessions('bob')).toBe(1);
    expect(await store.invalidateAllUserSessions('carol')).toBe(2);
    for (const browser of [...ann, ...bob, ...carol]) {
      expect(await store.get(browser.sid!)).toBeNull();
      // The cookie no longer signs anyone in, in the app after the switch.
      const moved = new Browser(after.url, LAPTOP);
      for (const [name, value] of browser.cookies) moved.cookies.set(name, value);
      expect(await moved.me()).toBeNull();
    }
    // Nobody else was touched.
    for (const browser of anonymous) expect(await admin.get(`sess:${browser.sid}`)).toBe(values.get(`sess:${browser.sid}`));
  });

  it("indexes a Passport app's session by default (session.passport.user, as the stores read it); logout-everywhere then reaches it", async () => {
    // Byte for byte what connect-redis writes for a Passport app after req.login(): a plain JSON
    // string, the owner only under passport.user.
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString(), httpOnly: true, path: '/' };
    await admin.set('sess:passport-sid', JSON.stringify({ cookie, passport: { user: 'alice' } }), 'PX', 3_600_000);

    const run = await sessionkitJson(['--url', url, 'migrate', '--index-only']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ userField: null, connectRedisSessions: 1, indexed: 1, anonymous: 0, skipped: 0, failed: 0 });
    const store = new SessionStore({ client: redis.client() });
    expect(await store.countUserSessions('alice')).toBe(1);
    expect(await store.invalidateAllUserSessions('alice')).toBe(1);
    expect(await store.get('passport-sid')).toBeNull();
  });

  it('skips a session whose owner the stores refuse (over the length limit), reports it by reason and count, and indexes the rest', async () => {
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };
    const legacy = (id: string, data: Record<string, unknown>) => admin.set(`sess:${id}`, JSON.stringify({ cookie, ...data }), 'PX', 3_600_000);
    const longOwner = 'L'.repeat(2_000);
    // Alone with anonymous sessions, the session that cannot be indexed is the whole first SCAN
    // batch: that must not stop the run as a refused command would.
    await legacy('too-long-owner-sid', { userId: longOwner });
    await legacy('anon-1', { visits: 1 });
    await legacy('anon-2', { visits: 2 });
    const first = await sessionkitJson(['--url', url, 'migrate', '--index-only']);
    expect(first.json, first.stderr).toMatchObject({
      complete: true,
      connectRedisSessions: 3,
      indexed: 0,
      anonymous: 2,
      skipped: 1,
      skippedReasons: [{ reason: expect.stringMatching(/limit/), count: 1 }],
      failed: 0,
      failures: [],
    });
    // Something could not be indexed: exit 1, as for a failure.
    expect(first.code).toBe(1);

    // With others to index beside it: they are indexed, it is skipped again (by reason and count).
    await legacy('good-1', { userId: 'dan' });
    await legacy('good-2', { passport: { user: 'dan' } });
    for (const dryRun of [true, false]) {
      const run = await sessionkitJson(['--url', url, 'migrate', '--index-only', ...(dryRun ? ['--dry-run'] : [])]);
      expect(run.json).toMatchObject({ [dryRun ? 'wouldIndex' : 'indexed']: 2, skipped: 1, failed: 0 });
      expect(run.code).toBe(1);
    }
    expect(await new SessionStore({ client: redis.client() }).invalidateAllUserSessions('dan')).toBe(2);

    // The readable report: a count and the reason; never the session id (a credential) nor the owner id (user data).
    const readable = await sessionkit(['--url', url, 'migrate', '--index-only']);
    expect(readable.code).toBe(1);
    expect(readable.stdout).toMatch(/^Skipped 1 that cannot be indexed/m);
    expect(readable.stdout).toMatch(/^ {2}1 × .*limit/m);
    for (const text of [readable.stdout, readable.stderr, JSON.stringify(first.json)]) {
      expect(text).not.toContain('too-long-owner-sid');
      expect(text).not.toContain('L'.repeat(20));
    }
    expectNoStack(readable.stdout + readable.stderr);
    // The value is left as it was.
    expect(JSON.parse((await admin.get('sess:too-long-owner-sid'))!)).toMatchObject({ userId: longOwner });
  });

  it('an interrupted run, run again, finishes the rest and changes nothing already done', async () => {
    const client = nodeRedis;
    const legacy = new ConnectRedisStore({ client, prefix: 'sess:' });
    const total = 400;
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };
    await Promise.all(Array.from({ length: total }, (_, i) => legacy.set(`s${i}`, { cookie, userId: `u${i % 40}` } as never)));
    const indexed = async () => {
      const keys = await admin.keys('idx:sess:*');
      const sizes = await Promise.all(keys.map((key) => admin.zcard(key)));
      return sizes.reduce((a, b) => a + b, 0);
    };

    const part = await interruptedMigrate(['--index-only'], async () => (await indexed()) > 0);
    expect(part.indexed).toBeGreaterThan(0);
    expect(part.indexed).toBeLessThan(total);
    const done = await indexed();
    expect(done).toBe(part.indexed);
    const values = await snapshot('sess:*');

    const second = await sessionkitJson(['--url', url, 'migrate', '--index-only']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ complete: true, connectRedisSessions: total, indexed: total - done, alreadyIndexed: done });
    expect(await indexed()).toBe(total);
    expect(await snapshot('sess:*')).toEqual(values);

    const third = await sessionkitJson(['--url', url, 'migrate', '--index-only']);
    expect(third.json).toMatchObject({ indexed: 0, alreadyIndexed: total });

    const store = new SessionStore({ client: redis.client() });
    let revoked = 0;
    for (let u = 0; u < 40; u++) revoked += await store.invalidateAllUserSessions(`u${u}`);
    expect(revoked).toBe(total);
    const left = await Promise.all(Array.from({ length: total }, (_, i) => store.get(`s${i}`)));
    expect(left.filter(Boolean)).toEqual([]);
  });
});

describe('migrate (the default: sessions move to their hashed keys)', () => {
  /** Keys under `sess:` that still hold a session under its plain id (a tombstone is not one). */
  async function plainIdSessions(): Promise<string[]> {
    const keys = (await admin.keys('sess:*')).filter((key) => !isHandle(key.slice('sess:'.length)));
    const values = await Promise.all(keys.map((key) => admin.get(key)));
    return keys.filter((_, i) => !values[i]?.startsWith('!'));
  }

  it("moves connect-redis 9's sessions and SessionKit's pre-hash records: the same data, no plain-id session left, everyone still signed in, logout-everywhere reaches them", async () => {
    const { ann, bob, carol, anonymous } = await signInMix();
    // A session SessionKit wrote before hashed ids: a record under its plain id.
    await new SessionStore({ client: redis.client(), hashIds: false }).set('pre-hash-record-session-id-0000001', { n: 1 }, { userId: 'dora', ttl: 3_600_000 });
    const ids = [...ann, ...bob, ...carol, ...anonymous].map((browser) => browser.sid!).concat('pre-hash-record-session-id-0000001');
    // Read through the store (hashed ids, legacyKeys on): what each session holds before the move.
    const store = new SessionStore({ client: redis.client() });
    const data = await Promise.all(ids.map(async (id) => (await store.get(id))?.data));
    expect(data.every(Boolean)).toBe(true);
    const values = await snapshot('sess:*');
    const keys = (await admin.keys('*')).sort();

    const dry = await sessionkitJson(['--url', url, 'migrate', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.json).toMatchObject({ dryRun: true, complete: true, plainIdSessions: 9, connectRedisSessions: 8, anonymous: 2, wouldMove: 9, kept: 0 });
    expect(await snapshot('sess:*')).toEqual(values);
    expect((await admin.keys('*')).sort()).toEqual(keys);

    const run = await sessionkitJson(['--url', url, 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ dryRun: false, complete: true, plainIdSessions: 9, moved: 9, kept: 0, revokedMeanwhile: 0, goneMeanwhile: 0, failed: 0 });
    // Under a plain id only tombstones are left (they refuse a write-back, and expire after revokedTtl).
    expect(await plainIdSessions()).toEqual([]);
    for (const id of ids) expect(await admin.exists(store.keys.session(id))).toBe(1);
    // The same data, read from the hashed key alone.
    const moved = new SessionStore({ client: redis.client(), legacyKeys: false });
    expect(await Promise.all(ids.map(async (id) => (await moved.get(id))?.data))).toEqual(data);
    // Signed in before the switch, still signed in through the app after it.
    for (const browser of ann) {
      const switched = new Browser(after.url, LAPTOP);
      for (const [name, value] of browser.cookies) switched.cookies.set(name, value);
      expect(await switched.me()).toBe('ann');
    }
    // Indexed under their handles: logout-everywhere reaches each, with no request through SessionKit needed.
    expect(await store.invalidateAllUserSessions('ann')).toBe(3);
    expect(await store.invalidateAllUserSessions('bob')).toBe(1);
    expect(await store.invalidateAllUserSessions('carol')).toBe(2);
    expect(await store.invalidateAllUserSessions('dora')).toBe(1);
    for (const browser of [...ann, ...bob, ...carol]) expect(await store.get(browser.sid!)).toBeNull();
    for (const browser of anonymous) expect(await store.get(browser.sid!)).not.toBeNull();

    const again = await sessionkitJson(['--url', url, 'migrate']);
    expect(again.json).toMatchObject({ plainIdSessions: 0, moved: 0 });
  });

  it('never revives a revoked session, and never overwrites a newer save under the hashed key', async () => {
    const early = new SessionStore({ client: redis.client(), hashIds: false });
    const store = new SessionStore({ client: redis.client() });
    // Revoked before the run: a tombstone under its plain id.
    await early.set('revoked-session-id-000000000000001', { n: 1 }, { userId: 'eve' });
    expect(await early.destroy('revoked-session-id-000000000000001')).toBe(true);
    // Saved under its hashed key since, while an instance still on the old layout left a plain-id copy.
    await early.set('newer-session-id-00000000000000001', { v: 'old' }, { userId: 'eve', ttl: 60_000 });
    const plain = (await admin.get('sess:newer-session-id-00000000000000001'))!;
    const newer = await store.set('newer-session-id-00000000000000001', { v: 'new' }, { userId: 'eve', ttl: 3_600_000 });
    await admin.set('sess:newer-session-id-00000000000000001', plain, 'PX', 60_000);

    const run = await sessionkitJson(['--url', url, 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ plainIdSessions: 1, moved: 1, kept: 0 });
    expect(await store.get('revoked-session-id-000000000000001')).toBeNull();
    expect(await admin.exists(store.keys.session('revoked-session-id-000000000000001'))).toBe(0);
    expect((await store.get('newer-session-id-00000000000000001'))?.data).toEqual({ v: 'new' });
    expect(await plainIdSessions()).toEqual([]);
    // Its index entry keeps the newer save's expiry: a listing does not prune it as expired.
    const [listed] = await store.listUserSessions('eve');
    expect(listed).toMatchObject({ id: store.sessionHandle('newer-session-id-00000000000000001'), expiresAt: newer.stored && newer.expiresAt });
  });

  it('an interrupted run, run again, moves the rest; the counts of both runs add up', async () => {
    const legacy = new ConnectRedisStore({ client: nodeRedis, prefix: 'sess:' });
    const total = 400;
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };
    await Promise.all(Array.from({ length: total }, (_, i) => legacy.set(`s${i}`, { cookie, userId: `u${i % 40}` } as never)));
    const hashed = async () => (await admin.keys('sess:*')).filter((key) => isHandle(key.slice('sess:'.length))).length;

    const part = await interruptedMigrate([], async () => (await hashed()) > 0);
    expect(part.moved).toBeGreaterThan(0);
    expect(part.moved).toBeLessThan(total);
    expect(await hashed()).toBe(part.moved);

    const second = await sessionkitJson(['--url', url, 'migrate']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json).toMatchObject({ complete: true, plainIdSessions: total - part.moved, moved: total - part.moved });
    expect(await hashed()).toBe(total);
    expect(await plainIdSessions()).toEqual([]);

    const store = new SessionStore({ client: redis.client() });
    let revoked = 0;
    for (let u = 0; u < 40; u++) revoked += await store.invalidateAllUserSessions(`u${u}`);
    expect(revoked).toBe(total);
  });
});
