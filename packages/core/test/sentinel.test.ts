import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionLimitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { startRedisSentinel, type RedisSentinel } from '@sessionkit/testing';

/**
 * The store behind Redis Sentinel: 1 primary, 1 replica, 3 sentinels (quorum 2,
 * down-after-milliseconds 1000). The client is an ordinary ioredis `Redis` that asks the
 * sentinels where the primary is; the store runs in single-node mode (one script per write).
 */

let topology: RedisSentinel;
let client: Redis;
let prefixCount = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function makeStore<T = unknown>(options: Partial<SessionStoreOptions> = {}): SessionStore<T> {
  return new SessionStore<T>({ client, prefix: `s${++prefixCount}:`, ...options });
}

beforeAll(async () => {
  topology = await startRedisSentinel({ name: 'mymaster' });
  client = new Redis({
    sentinels: topology.sentinels,
    name: topology.name,
    // Reconnect quickly while the sentinels elect a new primary; commands wait in the offline queue.
    retryStrategy: (times) => Math.min(times * 100, 500),
    sentinelRetryStrategy: (times) => Math.min(times * 100, 500),
    maxRetriesPerRequest: 50,
    connectTimeout: 2000,
  });
  await new Promise<void>((resolve, reject) => {
    client.once('ready', resolve);
    client.once('error', reject);
  });
  // Reconnection errors while the primary is down are expected; the failover test counts failed commands instead.
  client.on('error', () => {});
});

afterAll(async () => {
  await client?.quit().catch(() => client.disconnect());
  await topology?.dispose();
});

describe('SessionStore through Redis Sentinel (1 primary, 1 replica, 3 sentinels)', () => {
  it('connects to the primary the sentinels name', async () => {
    expect(topology.sentinels).toHaveLength(3);
    expect(await topology.currentPrimary()).toEqual({ host: topology.primary.host, port: topology.primary.port });
    const role = (await client.call('ROLE')) as unknown[];
    expect(role[0]).toBe('master');
  });

  it('runs every core operation', async () => {
    const store = makeStore<{ n: number }>({ maxSessionsPerUser: 3 });
    expect((await store.set('a', { n: 1 }, { userId: 'ann', meta: { ua: 'x' } })).stored).toBe(true);
    expect(await store.get('a')).toMatchObject({ data: { n: 1 }, userId: 'ann', meta: { ua: 'x' } });
    const before = (await store.get('a'))!.expiresAt;
    await sleep(5);
    expect(await store.touch('a')).toBeGreaterThan(before);
    for (const id of ['b', 'c', 'd']) {
      await sleep(2);
      await store.set(id, { n: 2 }, { userId: 'ann' }); // 'd' evicts 'a', the session closest to expiry
    }
    expect(await store.countUserSessions('ann')).toBe(3);
    expect((await store.listUserSessions('ann')).map((s) => s.id).sort()).toEqual(['b', 'c', 'd']);
    expect(await store.get('a')).toBeNull();

    expect(await store.revokeUserSession('someone-else', 'b')).toBe(false);
    expect(await store.revokeUserSession('ann', 'b')).toBe(true);
    expect(await store.destroy('c')).toBe(true);
    expect(await store.set('c', { n: 5 }, { userId: 'ann' })).toEqual({ stored: false, reason: 'revoked' });

    await store.set('weird', { n: 6 }, { userId: 'a{b}:c*?[x] é' });
    await store.set('owner', { n: 7 }, { userId: 'x' });
    await store.set('owner', { n: 8 }, { userId: 'y' });
    expect(await store.countUserSessions('x')).toBe(0);
    expect(await store.invalidateAllUserSessions('ann', { except: 'd' })).toBe(0);
    expect(await store.invalidateAllUserSessions('a{b}:c*?[x] é')).toBe(1);
    expect((await store.ids()).sort()).toEqual(['d', 'owner']);
    expect(await store.length()).toBe(2);
    expect((await store.all()).map((r) => r.data.n).sort()).toEqual([2, 8]);
    expect(await store.clear()).toBeGreaterThan(0);
    expect(await store.length()).toBe(0);

    const strict = makeStore({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await strict.set('one', {}, { userId: 'z' });
    await expect(strict.set('two', {}, { userId: 'z' })).rejects.toBeInstanceOf(SessionLimitError);
  });

  it('keeps serving through a primary crash with the same client, and reports acknowledged writes lost', async () => {
    const store = makeStore<{ n: number }>({ ttl: 600_000 });
    const acked: string[] = [];
    let attempted = 0;
    let failed = 0;
    let n = 0;
    let slowest = 0;
    let killedAt = 0;
    let firstWriteAfterKill = 0;
    let stop = false;
    const errors = new Map<string, number>();
    const start = Date.now();
    const maxRunMs = 20_000;

    const worker = async (w: number) => {
      while (!stop && Date.now() - start < maxRunMs) {
        const id = `fo-${w}-${n++}`;
        attempted++;
        const startedAt = Date.now();
        try {
          const result = await store.set(id, { n }, { userId: `fo-user-${n % 16}` });
          slowest = Math.max(slowest, Date.now() - startedAt);
          if (result.stored) {
            acked.push(id);
            if (killedAt && startedAt > killedAt && !firstWriteAfterKill) firstWriteAfterKill = Date.now();
          }
          await store.get(id);
        } catch (error) {
          failed++;
          const message = String((error as Error).message)
            .replace(/\d+/g, 'N')
            .slice(0, 120);
          errors.set(message, (errors.get(message) ?? 0) + 1);
          await sleep(20);
        }
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));

    await sleep(700);
    const ackedBeforeKill = acked.length;
    const old = await topology.killPrimary();
    killedAt = Date.now();
    const failover = await topology.waitForFailover(old, killedAt);
    while (!firstWriteAfterKill && Date.now() - start < maxRunMs) await sleep(50);
    await sleep(1000);
    stop = true;
    await Promise.all(workers);

    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(firstWriteAfterKill).toBeGreaterThan(0);
    expect(failover.newPrimary.port).toBe(topology.replica.port);
    // The same client now talks to the promoted replica.
    const role = (await client.call('ROLE')) as unknown[];
    expect(role[0]).toBe('master');
    expect(/tcp_port:(\d+)/.exec(await client.info('server'))?.[1]).toBe(String(topology.replica.port));
    expect((await store.set('after', { n: -1 }, { userId: 'after' })).stored).toBe(true);
    expect(await store.countUserSessions('after')).toBe(1);

    const got = await Promise.all(acked.map((id) => store.get(id)));
    const lost = acked.filter((_, i) => got[i] === null);
    console.log(
      `[sentinel failover] attempted ${attempted} writes, acknowledged ${acked.length}, failed ${failed}, ` +
        `lost after acknowledgement ${lost.length}; sentinels switched to the replica ${failover.ms} ms after the kill; ` +
        `first write started after the kill acknowledged ${firstWriteAfterKill - killedAt} ms after it; slowest write ${slowest} ms` +
        (errors.size ? `; errors: ${JSON.stringify(Object.fromEntries(errors))}` : ''),
    );
  }, 60_000);
});
