import { createClient } from 'redis';
import { RedisStore as ConnectRedisStore } from 'connect-redis9';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHandle, useRedis } from '@sessionkit/testing';
import { Browser, expectNoStack, expressApp, LAPTOP, PHONE, redisUrl, sessionkit, sessionkitJson, TABLET, type App } from './helpers.js';

/** One session of `list --json`. */
interface Listed {
  id: string;
  meta?: unknown;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
}

/**
 * list, revoke and stats on one real Redis, against sessions that real browsers got by signing in
 * through @sessionkit/express: what the CLI prints is checked against what the app then does
 * with those browsers' cookies.
 */

const redis = useRedis();
let admin: Redis;
let app: App;
let url: string;

beforeAll(async () => {
  admin = redis.client();
  url = redisUrl(admin);
  app = await expressApp(admin);
});
afterAll(async () => {
  await app?.close();
});

async function signIn(user: string, userAgent: string): Promise<Browser> {
  const browser = new Browser(app.url, userAgent);
  await browser.post(`/login/${encodeURIComponent(user)}`);
  expect(await browser.me()).toBe(user);
  return browser;
}

describe('list', () => {
  it("shows a user's live sessions with their devices; --json has every field", async () => {
    const laptop = await signIn('ann', LAPTOP);
    const phone = await signIn('ann', PHONE);
    await signIn('bob', TABLET);

    const run = await sessionkitJson(['--url', url, 'list', 'ann']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.userId).toBe('ann');
    expect(run.json.count).toBe(2);
    const byId = new Map(run.json.sessions.map((s: Listed) => [s.id, s] as const));
    // Listed by handle (the SHA-256 of the id), as the store lists them: the cookie's id is in no output.
    expect([...byId.keys()].sort()).toEqual([laptop.sid!, phone.sid!].map(sessionHandle).sort());
    const listed = byId.get(sessionHandle(phone.sid!)) as Listed;
    expect(listed.meta).toEqual({ userAgent: PHONE });
    expect(listed.createdAt).toBeTypeOf('number');
    expect(listed.expiresAt).toBeGreaterThan(listed.lastSeenAt);
    // Same answer as the store's API: the CLI adds nothing and hides nothing.
    expect(run.json.sessions).toEqual(await app.store.listUserSessions('ann'));

    const readable = await sessionkit(['--url', url, 'list', 'ann']);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toContain('User ann: 2 live sessions');
    expect(readable.stdout).toContain(sessionHandle(laptop.sid!));
    expect(readable.stdout).toContain(sessionHandle(phone.sid!));
    expect(readable.stdout).not.toContain(phone.sid);
    expect(readable.stdout).toContain('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1');
    expect(readable.stdout).not.toContain(TABLET.slice(0, 40)); // bob's device
    expect(readable.stderr).toContain(`Redis: ${url} (--url)`);

    const nobody = await sessionkitJson(['--url', url, 'list', 'nobody']);
    expect(nobody.json).toEqual({ userId: 'nobody', count: 0, sessions: [] });
  });

  it('user ids with characters that matter to Redis keys', async () => {
    const user = 'a{b}:c*?[x] é';
    const browser = await signIn(user, LAPTOP);
    const run = await sessionkitJson(['--url', url, 'list', user]);
    expect(run.json.sessions.map((s: Listed) => s.id)).toEqual([sessionHandle(browser.sid!)]);
    // A glob-like id must not match other users.
    expect((await sessionkitJson(['--url', url, 'list', 'a*'])).json.count).toBe(0);
  });

  it('REDIS_URL and --prefix / --index-prefix as the store takes them', async () => {
    const other = await expressApp(admin, 'other:');
    try {
      const browser = new Browser(other.url, LAPTOP);
      await browser.post('/login/cat');
      expect((await sessionkitJson(['list', 'cat'], { REDIS_URL: url })).json.count).toBe(0);
      const run = await sessionkitJson(['--prefix', 'other:', 'list', 'cat'], { REDIS_URL: url });
      expect(run.json.sessions.map((s: Listed) => s.id)).toEqual([sessionHandle(browser.sid!)]);
      const explicit = await sessionkitJson(['--prefix', 'other:', '--index-prefix', 'idx:other:', 'list', 'cat'], { REDIS_URL: url });
      expect(explicit.json.count).toBe(1);
    } finally {
      await other.close();
    }
  });
});

describe('revoke', () => {
  it("named sessions: only those that are the user's; the browsers are signed out", async () => {
    const laptop = await signIn('carl', LAPTOP);
    const phone = await signIn('carl', PHONE);
    const other = await signIn('dora', TABLET);

    // dora's session named under carl is not carl's to revoke.
    const run = await sessionkitJson(['--url', url, 'revoke', 'carl', '--', phone.sid!, other.sid!, 'no-such-session']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ userId: 'carl', all: false, revoked: 1, requested: 3 });
    expect(run.json.sessions).toEqual([
      { id: phone.sid, revoked: true },
      { id: other.sid, revoked: false },
      { id: 'no-such-session', revoked: false },
    ]);
    expect(await phone.me()).toBeNull();
    expect(await laptop.me()).toBe('carl');
    expect(await other.me()).toBe('dora');

    const readable = await sessionkit(['--url', url, 'revoke', 'carl', '--', laptop.sid!]);
    expect(readable.code).toBe(0);
    expect(readable.stdout).toContain('Revoked 1 of 1 session of carl.');
    expect(await laptop.me()).toBeNull();
  });

  it('--all --except: signs the user out everywhere but the kept session', async () => {
    const browsers = [await signIn('erin', LAPTOP), await signIn('erin', PHONE), await signIn('erin', TABLET)];
    const bystander = await signIn('fred', LAPTOP);
    const [kept, ...others] = browsers;

    const run = await sessionkitJson(['--url', url, 'revoke', 'erin', '--all', '--except', kept!.sid!]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toEqual({ userId: 'erin', all: true, revoked: 2, kept: [kept!.sid] });
    for (const browser of others) expect(await browser.me()).toBeNull();
    expect(await kept!.me()).toBe('erin');
    expect(await bystander.me()).toBe('fred');

    const readable = await sessionkit(['--url', url, 'revoke', 'erin', '--all']);
    expect(readable.stdout).toContain('Signed erin out everywhere: 1 session revoked.');
    expect(await kept!.me()).toBeNull();
    expect((await sessionkitJson(['--url', url, 'list', 'erin'])).json.count).toBe(0);
  });

  it('an invalid session id is a usage error (exit 2) and revokes nothing', async () => {
    const browser = await signIn('gus', LAPTOP);
    const run = await sessionkit(['--url', url, 'revoke', 'gus', '--', browser.sid!, 'x'.repeat(2000)]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('session id is 2000 characters, over the limit of 1024');
    expectNoStack(run.stderr);
    expect(await browser.me()).toBe('gus');
  });
});

describe('stats', () => {
  it('counts every kind of key under the prefixes, as --json and as a table', async () => {
    const store = await expressApp(admin, 'stats:');
    const connectRedisClient = createClient({ url });
    await connectRedisClient.connect();
    try {
      const signIn2 = async (user: string) => {
        const browser = new Browser(store.url, LAPTOP);
        await browser.post(`/login/${user}`);
        return browser;
      };
      const hal = [await signIn2('hal'), await signIn2('hal'), await signIn2('hal')];
      await signIn2('ida');
      for (let i = 0; i < 2; i++) await new Browser(store.url, PHONE).post('/visit'); // anonymous
      // Sessions connect-redis 9 wrote before the switch: one signed in, one anonymous.
      const legacy = new ConnectRedisStore({ client: connectRedisClient, prefix: 'stats:' });
      const cookie = { originalMaxAge: 600_000, expires: new Date(Date.now() + 600_000).toISOString() };
      await legacy.set('legacy-1', { cookie, userId: 'jay' } as never);
      await legacy.set('legacy-2', { cookie } as never);
      // A revoked session leaves a tombstone; a foreign value is unreadable.
      await store.store.revokeUserSession('hal', hal[0]!.sid!);
      await admin.set('stats:junk', 'not a session');
      await admin.set('unrelated', 'x'); // outside the prefixes: walked, not counted

      const run = await sessionkitJson(['--url', url, '--prefix', 'stats:', 'stats', '--rate', '0']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({
        prefix: 'stats:',
        indexPrefix: 'idx:stats:',
        scan: { complete: true, masters: 1 },
        sessions: { total: 7, signedIn: 3, anonymous: 2, connectRedis: { total: 2, signedIn: 1, anonymous: 1 } },
        tombstones: 1,
        unreadable: 1,
        users: { signedIn: 2, sessionsPerUser: { median: 1, p99: 2, max: 2 } },
        indexes: { total: 2, members: 3, revoking: 0, pending: 0 },
      });
      expect(run.json.scan.keysWalked).toBe(await admin.dbsize());
      const buckets = run.json.ttl.buckets as { label: string; count: number }[];
      // express-session's maxAge is 1 h, connect-redis's sessions 10 min.
      expect(buckets.find((b) => b.label === '< 1h')!.count).toBe(5);
      expect(buckets.find((b) => b.label === '< 10m')!.count).toBe(2);
      expect(buckets.reduce((sum, b) => sum + b.count, 0) + run.json.ttl.noExpiry).toBe(7);
      expect(run.json.memory.session.sampled).toBe(7);
      expect(run.json.memory.session.meanBytes).toBeGreaterThan(50);
      expect(run.json.memory.index.sampled).toBe(2);

      const readable = await sessionkit(['--url', url, '--prefix', 'stats:', 'stats', '--rate', '50']);
      expect(readable.code, readable.stderr).toBe(0);
      expect(readable.stdout).toContain('Sessions under "stats:": 7 (3 signed in, 2 anonymous, 2 in connect-redis format)');
      expect(readable.stdout).toMatch(/tombstones \(revoked ids\)\s*│\s*1/);
      expect(readable.stdout).toContain('Sessions per user: median 1, p99 2, max 2');
      expect(readable.stdout).toMatch(/< 1h\s+5/);
    } finally {
      await connectRedisClient.quit();
      await store.close();
    }
  });
});

describe('colours', () => {
  const hasAnsi = (text: string) => text.includes('\u001b[');

  it('none on a pipe; FORCE_COLOR forces them; NO_COLOR wins over both', async () => {
    await signIn('kim', LAPTOP);
    const args = ['--url', url, 'list', 'kim'];
    expect(hasAnsi((await sessionkit(args)).stdout)).toBe(false);
    expect(hasAnsi((await sessionkit(args, { FORCE_COLOR: '1' })).stdout)).toBe(true);
    expect(hasAnsi((await sessionkit(args, { FORCE_COLOR: '1', NO_COLOR: '1' })).stdout)).toBe(false);
    // --json is never coloured.
    const json = await sessionkit([...args, '--json'], { FORCE_COLOR: '1' });
    expect(hasAnsi(json.stdout)).toBe(false);
    expect(JSON.parse(json.stdout).count).toBe(1);
  });
});
