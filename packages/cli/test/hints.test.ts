import { createClient } from 'redis';
import { RedisStore as ConnectRedisStore } from 'connect-redis9';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { redisUrl, sessionkit, sessionkitJson } from './helpers.js';

/**
 * When the CLI finds nothing, it says why: sessions under another prefix (stats), and
 * connect-redis sessions that no user index holds before `sessionkit migrate` (list, revoke
 * --all, doctor), which would otherwise read as "no sessions" while the user is signed in.
 */

const redis = useRedis();
let admin: Redis;
let url: string;
let nodeRedis: ReturnType<typeof createClient>;

beforeAll(async () => {
  admin = redis.client();
  url = redisUrl(admin);
  nodeRedis = createClient({ url });
  await nodeRedis.connect();
});
afterAll(async () => {
  await nodeRedis?.quit();
});
beforeEach(async () => {
  await admin.flushdb();
});

/** Sessions as connect-redis 9 writes them before the switch, signed in as `userId`. */
async function connectRedisSession(prefix: string, id: string, userId?: string): Promise<void> {
  const store = new ConnectRedisStore({ client: nodeRedis, prefix });
  const cookie = { originalMaxAge: 600_000, expires: new Date(Date.now() + 600_000).toISOString() };
  await store.set(id, { cookie, ...(userId ? { userId } : {}) } as never);
}

describe('stats', () => {
  it('with no sessions under --prefix, names the prefix the sessions are under', async () => {
    await connectRedisSession('myapp:sess:', 'f5ZkT7Qw0pXyL3mN9bV2cR8sD1gH6jKa', 'carol');
    await connectRedisSession('myapp:sess:', 'Q2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zXc');
    await admin.set('cache:user:42', 'not a session'); // no session-shaped id: not a candidate

    const run = await sessionkitJson(['--url', url, 'stats', '--rate', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.sessions.total).toBe(0);
    expect(run.json.elsewhere).toEqual([{ prefix: 'myapp:sess:', keys: 2, format: 'connect-redis' }]);

    const readable = await sessionkit(['--url', url, 'stats', '--rate', '0']);
    expect(readable.stdout).toContain('Sessions under "sess:": 0');
    expect(readable.stdout).toContain(
      'Sessions may be under another prefix: 2 keys under "myapp:sess:" (connect-redis format). Run again with --prefix myapp:sess:.',
    );
  });

  it('finds nothing anywhere: says so', async () => {
    await admin.set('cache:user:42', 'x');
    const readable = await sessionkit(['--url', url, 'stats', '--rate', '0']);
    expect(readable.code, readable.stderr).toBe(0);
    expect(readable.stdout).toContain('no key elsewhere looks like a session');
  });
});

describe('connect-redis sessions before `sessionkit migrate`', () => {
  it('list: a user with none in the index but one in connect-redis format is pointed at migrate; after it, the session is listed', async () => {
    await connectRedisSession('sess:', 'carol-legacy-session-id-000000001', 'carol');
    await connectRedisSession('sess:', 'erin-legacy-session-id-0000000001', 'erin');

    const run = await sessionkitJson(['--url', url, 'list', 'carol']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json.count).toBe(0);
    expect(run.json.unindexedConnectRedis).toMatchObject({ complete: true, unindexed: 2, owned: 1 });
    const readable = await sessionkit(['--url', url, 'list', 'carol']);
    expect(readable.stdout).toContain('User carol has no live sessions.');
    expect(readable.stdout).toContain(
      '2 connect-redis sessions under "sess:", 1 of them "carol"\'s, are in no user index yet: list, revoke and logout-everywhere do not see them. Run `sessionkit migrate` to index them.',
    );

    expect((await sessionkit(['--url', url, 'migrate'])).code).toBe(0);
    const after = await sessionkitJson(['--url', url, 'list', 'carol']);
    expect(after.json.count).toBe(1);
    expect(after.json.unindexedConnectRedis).toBeUndefined();
    const nobody = await sessionkitJson(['--url', url, 'list', 'frank']);
    expect(nobody.json).toEqual({ userId: 'frank', count: 0, sessions: [] });
    expect((await sessionkit(['--url', url, 'list', 'frank'])).stdout).not.toContain('migrate');
  });

  it('revoke --all: says the user is not signed out everywhere while a connect-redis session of theirs is unindexed', async () => {
    await connectRedisSession('sess:', 'dave-legacy-session-id-00000000001', 'dave');
    const run = await sessionkitJson(['--url', url, 'revoke', 'dave', '--all']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ revoked: 0, unindexedConnectRedis: { owned: 1 } });
    const readable = await sessionkit(['--url', url, 'revoke', 'dave', '--all']);
    expect(readable.stdout).toContain('Not everywhere: 1 connect-redis session under "sess:", 1 of them "dave"\'s, is in no user index yet');
    expect(readable.stdout).toContain('Run `sessionkit migrate` to index them. Then revoke again.');

    // After migrate, revoke --all reaches it and has nothing more to say.
    expect((await sessionkit(['--url', url, 'migrate'])).code).toBe(0);
    const again = await sessionkitJson(['--url', url, 'revoke', 'dave', '--all']);
    expect(again.json).toEqual({ userId: 'dave', all: true, revoked: 1, kept: [] });
    // Revoked: what is left under the key is a tombstone, not dave's session.
    expect(await admin.get('sess:dave-legacy-session-id-00000000001')).not.toContain('dave');
  });

  it('doctor: warns about unindexed connect-redis sessions, and has no such check once they are indexed', async () => {
    await connectRedisSession('sess:', 'gina-legacy-session-id-00000000001', 'gina');
    const run = await sessionkitJson(['--url', url, 'doctor']);
    const check = (run.json.checks as { id: string; status: string; fix?: string }[]).find((c) => c.id === 'connect-redis-sessions');
    expect(check, run.stdout).toMatchObject({ status: 'warn', fix: expect.stringContaining('sessionkit migrate') });

    expect((await sessionkit(['--url', url, 'migrate'])).code).toBe(0);
    const after = await sessionkitJson(['--url', url, 'doctor']);
    expect((after.json.checks as { id: string }[]).map((c) => c.id)).not.toContain('connect-redis-sessions');
  });
});
