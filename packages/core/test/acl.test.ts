import { readFileSync } from 'node:fs';
import { Cluster, type Redis } from 'ioredis';
import { Redis as Redis6 } from 'ioredis6';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisOperationError, SessionLimitError, SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { adminCommand, listingCalls, runStoreCompliance, startRedisCluster, type RedisCluster, type TestSession } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

/**
 * The ACL user of docs/operations.md, "ACL user", on a real single node and a real 3-master
 * cluster: every store operation runs as that user, then `ACL LOG` must be empty on every node.
 *
 * The rules are read from the doc itself rather than copied into a constant: the doc is what
 * operators paste, so it is the text that has to be right, and a rule added to or dropped from
 * it is tested as soon as it changes.
 */

const PASSWORD = 'acl-test-password';

function documentedAcl(): { rules: string[]; clusterRules: string[] } {
  const doc = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8');
  const start = doc.indexOf('\n## ACL user');
  const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
  const block = /```\n(ACL SETUSER[\s\S]*?)```/.exec(section)?.[1];
  if (!block) throw new Error('docs/operations.md, "ACL user": no ```ACL SETUSER ...``` block');
  const [acl, setuser, name, ...rules] = block.split(/\s+/).filter(Boolean);
  if (`${acl} ${setuser} ${name}` !== 'ACL SETUSER sessionkit') throw new Error(`unexpected ACL block: ${block}`);
  const clusterRow = /^\| Cluster \| `([^`]+)`/m.exec(section)?.[1];
  if (!clusterRow) throw new Error('docs/operations.md, "ACL user": no "| Cluster | `...`" row');
  // The doc's placeholder password becomes this test's.
  return { rules: rules.map((r) => (r.startsWith('>') ? `>${PASSWORD}` : r)), clusterRules: clusterRow.split(/\s+/) };
}

const { rules, clusterRules } = documentedAcl();

/** `ACL LOG` entries as objects, so a failure shows which command or key was refused. */
async function aclLog(call: (...args: string[]) => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const entries = (await call('ACL', 'LOG')) as unknown[][];
  return entries.map((entry) => {
    const fields: Record<string, unknown> = {};
    for (let i = 0; i < entry.length; i += 2) fields[String(entry[i])] = entry[i + 1];
    return { reason: fields.reason, context: fields.context, object: fields.object, username: fields.username };
  });
}

/** Setup for the shared suite; the client is made when the suite starts (the servers exist by then). */
function complianceTarget(client: () => Promise<Redis | Cluster> | Redis | Cluster, prefix: string) {
  return async () => {
    const store = new FrameworkStore<TestSession>({ client: await client(), prefix, touchAfter: 0 });
    return {
      store: {
        get: (id: string) => store.get(id),
        set: (id: string, s: TestSession) => store.set(id, s),
        destroy: (id: string) => store.destroy(id),
        touch: (id: string, s: TestSession) => store.touch(id, s),
        ...listingCalls(store),
      },
    };
  };
}

/**
 * Every user-level operation, with a chunked logout-everywhere (so the single-node pipeline of
 * chunk scripts runs too), both cap policies, an owner change, and a session written by
 * connect-redis (a plain string, which `get` reads with PTTL). `legacyWrite` writes that string
 * as the default user, since the ACL user cannot run SET.
 */
async function exerciseUserApis(client: Redis | Cluster, prefix: string, legacyWrite: (key: string, value: string) => Promise<unknown>) {
  const store = new SessionStore<{ n: number }>({ client, prefix, revokeChunkSize: 3 });
  await store.clear();

  expect((await store.set('a1', { n: 1 }, { userId: 'ann', meta: { ua: 'acl' } })).stored).toBe(true);
  expect(await store.get('a1')).toMatchObject({ data: { n: 1 }, userId: 'ann', meta: { ua: 'acl' } });
  expect(await store.touch('a1', { ttl: 120_000 })).toBeGreaterThan(Date.now());
  expect((await store.set('a1', { n: 2 }, { userId: 'ann' })).stored).toBe(true);
  for (let i = 2; i <= 8; i++) await store.set(`a${i}`, { n: i }, { userId: 'ann' });
  expect(await store.countUserSessions('ann')).toBe(8);
  expect((await store.listUserSessions('ann')).map((s) => s.id).sort()).toEqual(
    ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'a7', 'a8'].map((id) => store.sessionHandle(id)).sort(),
  );

  // Owner change, anonymous, ttl <= 0.
  await store.set('moved', { n: 0 }, { userId: 'ann' });
  await store.set('moved', { n: 0 }, { userId: 'bob' });
  await store.set('anon', { n: 0 });
  expect((await store.set('gone', { n: 0 }, { ttl: 0 })).stored).toBe(false);

  expect(await store.revokeUserSession('ann', 'a8')).toBe(true);
  expect(await store.revokeUserSession('ann', 'moved')).toBe(false);
  expect(await store.destroy('a7')).toBe(true);
  expect((await store.set('a7', { n: 7 }, { userId: 'ann' })).reason).toBe('revoked');
  // 6 sessions left, chunks of 3: the first chunk, then more.
  expect(await store.invalidateAllUserSessions('ann', { except: 'a1' })).toBe(5);
  expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual([store.sessionHandle('a1')]);

  const evicting = new SessionStore({ client, prefix, maxSessionsPerUser: 2 });
  for (const id of ['e1', 'e2', 'e3']) await evicting.set(id, {}, { userId: 'eve' });
  expect(await evicting.countUserSessions('eve')).toBe(2);
  const rejecting = new SessionStore({ client, prefix, maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
  await rejecting.set('r1', {}, { userId: 'rita' });
  await expect(rejecting.set('r2', {}, { userId: 'rita' })).rejects.toBeInstanceOf(SessionLimitError);

  // Where connect-redis wrote it: under the plain id. The save below moves it to its hashed key.
  await legacyWrite(store.keys.legacySession('legacy'), JSON.stringify({ cookie: { originalMaxAge: 60_000 }, n: 9 }));
  expect((await store.get('legacy'))!.data).toEqual({ cookie: { originalMaxAge: 60_000 }, n: 9 });
  expect((await store.set('legacy', { n: 10 }, { userId: 'bob' })).stored).toBe(true);

  const live = ['a1', 'moved', 'anon', 'e2', 'e3', 'r1', 'legacy'].map((id) => store.sessionHandle(id)).sort();
  expect((await store.ids()).sort()).toEqual(live);
  // The plain-id key the move left is a tombstone: not listed.
  expect(await store.length()).toBe(live.length);
  expect((await store.all()).map((r) => r.id).sort()).toEqual(live);
  expect(await store.clear()).toBeGreaterThan(live.length);
  expect(await store.length()).toBe(0);
}

describe('the documented ACL user on a single node', () => {
  const redis = useRedis();
  let admin: Redis;
  const adminCall = (...args: string[]) => admin.call(args[0]!, ...args.slice(1));

  beforeAll(async () => {
    admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'sessionkit', 'reset', ...rules);
    await admin.call('ACL', 'LOG', 'RESET');
  });

  runStoreCompliance(
    'core FrameworkStore as the ACL user (single node)',
    complianceTarget(() => redis.client({ username: 'sessionkit', password: PASSWORD }), 'sess:compliance:'),
  );

  it('runs every user-level operation as the ACL user (ioredis 5 and 6)', async () => {
    const five = redis.client({ username: 'sessionkit', password: PASSWORD });
    await exerciseUserApis(five, 'sess:five:', (key, value) => admin.set(key, value, 'PX', 60_000));
    // ioredis 6 opens with HELLO 3 (RESP3); HELLO, like AUTH, needs no ACL rule. The cast only
    // bridges the two ioredis copies installed side by side here; the store runs it unchanged.
    const six = new Redis6({ port: redis.server.port, host: redis.server.host, username: 'sessionkit', password: PASSWORD });
    try {
      await exerciseUserApis(six as unknown as Redis, 'sess:six:', (key, value) => admin.set(key, value, 'PX', 60_000));
    } finally {
      await six.quit().catch(() => six.disconnect());
    }
  });

  it('leaves ACL LOG empty', async () => {
    expect(await aclLog(adminCall)).toEqual([]);
  });

  it('is a real restriction: one rule fewer (+rename) makes logout-everywhere fail, and ACL LOG shows it', async () => {
    await admin.call('ACL', 'SETUSER', 'sessionkit-no-rename', 'reset', ...rules.filter((r) => r !== '+rename'));
    const client = redis.client({ username: 'sessionkit-no-rename', password: PASSWORD });
    const store = new SessionStore({ client, prefix: 'sess:no-rename:' });
    await store.set('x1', {}, { userId: 'zoe' });
    const error = await store.invalidateAllUserSessions('zoe').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisOperationError);
    expect(String((error as Error & { cause?: Error }).cause?.message)).toMatch(/can't run this command/);
    expect(await aclLog(adminCall)).toContainEqual(expect.objectContaining({ object: 'rename', username: 'sessionkit-no-rename' }));
    await admin.call('ACL', 'LOG', 'RESET');
  });
});

describe('ACL users with a rule missing (single node)', () => {
  const redis = useRedis();
  let admin: Redis;
  const asUserWithout = async (name: string, missing: string) => {
    await admin.call('ACL', 'SETUSER', name, 'reset', ...rules.filter((r) => r !== missing));
    return redis.client({ username: name, password: PASSWORD });
  };

  beforeAll(() => {
    admin = redis.client();
  });

  it('without +getdel and with revokedTtl 0: logout-everywhere fails saying so, drops no session, and a retry revokes them all', async () => {
    const user = await asUserWithout('sessionkit-no-getdel', '+getdel');
    // legacyKeys: false: with it, a new session's save retires a plain-id copy by GETDEL too (revokedTtl 0), and this test is about logout-everywhere.
    const store = new SessionStore({ client: user, prefix: 'sess:no-getdel:', revokedTtl: 0, revokeChunkSize: 2, legacyKeys: false });
    const ids = ['g1', 'g2', 'g3', 'g4', 'g5'];
    for (const id of ids) await store.set(id, { id }, { userId: 'gil' });
    const error = await store.invalidateAllUserSessions('gil').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RedisOperationError);
    expect((error as Error).message).toMatch(/could not be revoked .*GETDEL.*5 in all.*stay listed for the next logout-everywhere/);
    // Nothing was dropped: every session is still there, and still listed where a retry finds it.
    const reader = new SessionStore({ client: admin, prefix: 'sess:no-getdel:' });
    for (const id of ids) expect(await reader.get(id)).not.toBeNull();
    expect((await admin.zrange(store.keys.draining('gil'), 0, -1)).sort()).toEqual(ids.map((id) => store.sessionHandle(id)).sort());
    // Once the rule is granted, the next logout-everywhere revokes every one of them.
    await admin.call('ACL', 'SETUSER', 'sessionkit-no-getdel', '+getdel');
    expect(await store.invalidateAllUserSessions('gil')).toBe(5);
    for (const id of ids) expect(await reader.get(id)).toBeNull();
    expect(await admin.exists(store.keys.index('gil'), store.keys.draining('gil'))).toBe(0);
  });

  it('without +evalsha: every write still works, through EVAL, and a process warning names the rule to grant', async () => {
    const user = await asUserWithout('sessionkit-no-evalsha', '+evalsha');
    const store = new SessionStore({ client: user, prefix: 'sess:no-evalsha:' });
    const warned = new Promise<Error>((resolve) => {
      const listener = (warning: Error & { code?: string }) => {
        if (warning.code !== 'SESSIONKIT_NO_EVALSHA') return;
        process.off('warning', listener);
        resolve(warning);
      };
      process.on('warning', listener);
    });
    // The first call goes by EVAL; before, every later one failed with NOPERM (EVALSHA).
    for (let n = 1; n <= 3; n++) expect((await store.set('e1', { n }, { userId: 'eli' })).stored).toBe(true);
    expect((await warned).message).toContain('+evalsha');
    expect((await store.get('e1'))?.data).toEqual({ n: 3 });
    expect(await store.invalidateAllUserSessions('eli')).toBe(1);
    expect(await store.get('e1')).toBeNull();
  });

  it('without +eval: the first call loads the script (SCRIPT LOAD) and runs it by EVALSHA', async () => {
    const user = await asUserWithout('sessionkit-no-eval', '+eval');
    const store = new SessionStore({ client: user, prefix: 'sess:no-eval:' });
    for (let n = 1; n <= 3; n++) expect((await store.set('f1', { n }, { userId: 'fay' })).stored).toBe(true);
    expect((await store.get('f1'))?.data).toEqual({ n: 3 });
  });
});

describe('the documented ACL user on a 3-master cluster (with the Cluster rules)', () => {
  let cluster: RedisCluster;
  const clients: Cluster[] = [];
  const newClient = (redisOptions: Record<string, unknown>) => {
    const client = new Cluster(cluster.startupNodes, { redisOptions: { connectTimeout: 2000, ...redisOptions } });
    clients.push(client);
    return client;
  };
  /**
   * A cluster client as the ACL user, once ready. Without a rule its start needs (CLUSTER INFO,
   * CLUSTER SLOTS) it never becomes ready and would queue every command: fail fast instead.
   */
  const asUser = async () => {
    const client = newClient({ username: 'sessionkit', password: PASSWORD });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the cluster client never became ready as the ACL user')), 5000);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    return client;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
    for (const node of cluster.startupNodes) {
      await adminCommand(node, 'ACL', 'SETUSER', 'sessionkit', 'reset', ...rules, ...clusterRules);
      await adminCommand(node, 'ACL', 'LOG', 'RESET');
    }
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await cluster?.dispose();
  });

  runStoreCompliance('core FrameworkStore as the ACL user (cluster)', complianceTarget(asUser, 'sess:compliance:'));

  it('runs every user-level operation as the ACL user', async () => {
    const admin = newClient({});
    await exerciseUserApis(await asUser(), 'sess:cluster:', (key, value) => admin.set(key, value, 'PX', 60_000));
  });

  it('leaves ACL LOG empty on every node', async () => {
    for (const node of cluster.startupNodes) {
      expect(await aclLog((...args) => adminCommand(node, args[0]!, ...args.slice(1)))).toEqual([]);
    }
  });
});
