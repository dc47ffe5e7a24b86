import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrameworkStore, SessionLimitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { NodeRedisClients, nodeRedisVariants, runStoreCompliance, startRedisSentinel, type RedisSentinel, type TestSession } from '@sessionkit/testing';
import { complianceTarget, sleep } from './helpers.js';

/**
 * The store behind Redis Sentinel on a node-redis `createSentinel` (1 primary, 1 replica, 3
 * sentinels, quorum 2, down-after 1000 ms): single-node mode, one script per write. Both majors
 * run the behaviour; the failover (it kills the primary) runs on node-redis 5 only: ioredis has
 * its own in sentinel.test.ts, and node-redis 6's failover is exercised on the cluster.
 */

let topology: RedisSentinel;
const clients = new NodeRedisClients();
let prefixCount = 0;
const asClient = (client: unknown) => client as SessionStoreOptions['client'];

beforeAll(async () => {
  topology = await startRedisSentinel({ name: 'mymaster' });
});
afterAll(async () => {
  await clients.closeAll();
  await topology?.dispose();
});

describe.each(nodeRedisVariants)('$name through Redis Sentinel', (variant) => {
  const sentinel = () => clients.sentinel(variant, topology.name, topology.sentinels);
  const makeStore = async <T = unknown>(options: Partial<SessionStoreOptions> = {}) =>
    new SessionStore<T>({ client: asClient(await sentinel()), prefix: `nrs${++prefixCount}:`, ...options });

  runStoreCompliance(`core FrameworkStore on a ${variant.name} createSentinel`, async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: asClient(await sentinel()), prefix: `nrs-compliance${variant.major}:`, touchAfter: 0 })),
  );

  it('talks to the primary the sentinels name, and runs every core operation', async () => {
    const client = await sentinel();
    const role = (await client.sendCommand(false, ['ROLE'])) as unknown[];
    expect(role[0]).toBe('master');
    const store = await makeStore<{ n: number }>({ maxSessionsPerUser: 3 });
    expect(store.redis).toMatchObject({ library: 'node-redis', cluster: false });
    expect((await store.set('a', { n: 1 }, { userId: 'ann', meta: { ua: 'x' } })).stored).toBe(true);
    expect(await store.get('a')).toMatchObject({ data: { n: 1 }, userId: 'ann', meta: { ua: 'x' } });
    const before = (await store.get('a'))!.expiresAt;
    await sleep(5);
    expect(await store.touch('a')).toBeGreaterThan(before);
    for (const id of ['b', 'c', 'd']) {
      await sleep(2);
      await store.set(id, { n: 2 }, { userId: 'ann' }); // 'd' evicts 'a', the session closest to expiry
    }
    expect((await store.listUserSessions('ann')).map((s) => s.id).sort()).toEqual(['b', 'c', 'd']);
    expect(await store.get('a')).toBeNull();
    expect(await store.revokeUserSession('someone-else', 'b')).toBe(false);
    expect(await store.revokeUserSession('ann', 'b')).toBe(true);
    expect(await store.destroy('c')).toBe(true);
    expect(await store.set('c', { n: 5 }, { userId: 'ann' })).toEqual({ stored: false, reason: 'revoked' });
    expect(await store.invalidateAllUserSessions('ann')).toBe(1);
    expect(await store.length()).toBe(0);

    const strict = await makeStore({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await strict.set('one', {}, { userId: 'z' });
    await expect(strict.set('two', {}, { userId: 'z' })).rejects.toBeInstanceOf(SessionLimitError);
  });
});

describe('failover on node-redis 5 (runs last: it kills the primary)', () => {
  it('keeps serving through a primary crash with the same client, and tells the new primary as up', async () => {
    const client = await clients.sentinel(nodeRedisVariants[0]!, topology.name, topology.sentinels);
    const store = new SessionStore<{ n: number }>({ client: asClient(client), prefix: 'nrs-fo:', ttl: 600_000 });
    const ups: boolean[] = [];
    const stopWatching = store.redis.onConnectionChange((up) => ups.push(up));
    const acked: string[] = [];
    let attempted = 0;
    let failed = 0;
    let n = 0;
    let killedAt = 0;
    let firstWriteAfterKill = 0;
    let stop = false;
    const errors = new Map<string, number>();
    const start = Date.now();
    const maxRunMs = 25_000;
    const worker = async (w: number) => {
      while (!stop && Date.now() - start < maxRunMs) {
        const id = `fo-${w}-${n++}`;
        attempted++;
        const startedAt = Date.now();
        try {
          const result = await store.set(id, { n }, { userId: `fo-user-${n % 16}` });
          if (result.stored) {
            acked.push(id);
            if (killedAt && startedAt > killedAt && !firstWriteAfterKill) firstWriteAfterKill = Date.now();
          }
        } catch (error) {
          failed++;
          const message = String((error as Error).message)
            .replace(/\d+/g, 'N')
            .slice(0, 120);
          errors.set(message, (errors.get(message) ?? 0) + 1);
          await sleep(50);
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
    await sleep(500);
    stop = true;
    await Promise.all(workers);
    stopWatching();

    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(firstWriteAfterKill).toBeGreaterThan(0);
    expect(failover.newPrimary.port).toBe(topology.replica.port);
    expect(ups).toContain(true);
    expect(ups).not.toContain(false);
    const role = (await client.sendCommand(false, ['ROLE'])) as unknown[];
    expect(role[0]).toBe('master');
    expect(/tcp_port:(\d+)/.exec(String(await client.sendCommand(false, ['INFO', 'server'])))?.[1]).toBe(String(topology.replica.port));
    expect((await store.set('after', { n: -1 }, { userId: 'after' })).stored).toBe(true);
    expect(await store.countUserSessions('after')).toBe(1);
    const got = await Promise.all(acked.map((id) => store.get(id)));
    const lost = acked.filter((_, i) => got[i] === null);
    console.log(
      `[node-redis sentinel failover] attempted ${attempted} writes, acknowledged ${acked.length}, failed ${failed}, lost after acknowledgement ${lost.length}; ` +
        `sentinels switched ${failover.ms} ms after the kill; first write started after the kill acknowledged ${firstWriteAfterKill - killedAt} ms after it` +
        (errors.size ? `; errors: ${JSON.stringify(Object.fromEntries(errors))}` : ''),
    );
  }, 60_000);
});
