import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionLimitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import {
  NodeRedisClients,
  runStoreCompliance,
  startRedisSentinel,
  testClients,
  type NodeRedisSentinel,
  type RedisSentinel,
  type TestClient,
  type TestSession,
} from '@sessionkit/testing';
import { complianceTarget, sleep, errorSummary, tallyError } from './helpers.js';

/**
 * The store behind Redis Sentinel: 1 primary, 1 replica, 3 sentinels (quorum 2,
 * down-after-milliseconds 1000), once per client: an ordinary ioredis `Redis` that asks the
 * sentinels where the primary is, and a node-redis `createSentinel` in both majors. The store
 * runs in single-node mode (one script per write). Each client gets a topology of its own: the
 * failover test kills the primary, which leaves no replica for the next client's failover.
 * The failover runs on ioredis and node-redis 5; node-redis 6's failover is exercised on the
 * cluster.
 */

type SentinelClient = Redis | NodeRedisSentinel;
const asClient = (client: SentinelClient) => client as unknown as SessionStoreOptions['client'];
let prefixCount = 0;

/** A raw command on the primary the client is connected to. */
async function command(client: SentinelClient, ...args: string[]): Promise<unknown> {
  if (client instanceof Redis) return client.call(args[0]!, ...args.slice(1));
  return client.sendCommand(false, args);
}

describe.each(testClients)('$name through Redis Sentinel (1 primary, 1 replica, 3 sentinels)', (kind: TestClient) => {
  let topology: RedisSentinel;
  const nodeRedis = new NodeRedisClients();
  const made: Redis[] = [];

  async function connect(): Promise<SentinelClient> {
    if (kind.library === 'node-redis') return nodeRedis.sentinel(kind, topology.name, topology.sentinels);
    const client = new Redis({
      sentinels: topology.sentinels,
      name: topology.name,
      // Reconnect quickly while the sentinels elect a new primary; commands wait in the offline queue.
      retryStrategy: (times) => Math.min(times * 100, 500),
      sentinelRetryStrategy: (times) => Math.min(times * 100, 500),
      maxRetriesPerRequest: 50,
      connectTimeout: 2000,
    });
    made.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('ready', resolve);
      client.once('error', reject);
    });
    // Reconnection errors while the primary is down are expected; the failover test counts failed commands instead.
    client.on('error', () => {});
    return client;
  }

  let client: SentinelClient;
  const makeStore = <T = unknown>(options: Partial<SessionStoreOptions> = {}) =>
    new SessionStore<T>({ client: asClient(client), prefix: `s${kind.tag}-${++prefixCount}:`, ...options });

  beforeAll(async () => {
    topology = await startRedisSentinel({ name: 'mymaster' });
    client = await connect();
  });
  afterAll(async () => {
    await Promise.all(made.map((c) => c.quit().catch(() => c.disconnect())));
    await nodeRedis.closeAll();
    await topology?.dispose();
  });

  runStoreCompliance(`core FrameworkStore on ${kind.library === 'ioredis' ? 'an ioredis Sentinel client' : `a ${kind.name} createSentinel`}`, async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: asClient(await connect()), prefix: `s${kind.tag}-compliance:`, touchAfter: 0 })),
  );

  it('connects to the primary the sentinels name', async () => {
    expect(topology.sentinels).toHaveLength(3);
    expect(await topology.currentPrimary()).toEqual({ host: topology.primary.host, port: topology.primary.port });
    const role = (await command(client, 'ROLE')) as unknown[];
    expect(role[0]).toBe('master');
  });

  it('runs every core operation', async () => {
    const store = makeStore<{ n: number }>({ maxSessionsPerUser: 3 });
    expect(store.redis).toMatchObject({ library: kind.library, cluster: false });
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
    expect((await store.listUserSessions('ann')).map((s) => s.id).sort()).toEqual(['b', 'c', 'd'].map((id) => store.sessionHandle(id)).sort());
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
    expect((await store.ids()).sort()).toEqual(['d', 'owner'].map((id) => store.sessionHandle(id)).sort());
    expect(await store.length()).toBe(2);
    expect((await store.all()).map((r) => r.data.n).sort()).toEqual([2, 8]);
    expect(await store.invalidateAllUserSessions('ann')).toBe(1);
    expect(await store.clear()).toBeGreaterThan(0);
    expect(await store.length()).toBe(0);

    const strict = makeStore({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await strict.set('one', {}, { userId: 'z' });
    await expect(strict.set('two', {}, { userId: 'z' })).rejects.toBeInstanceOf(SessionLimitError);
  });

  // Runs last in its block: it kills the primary.
  it.runIf(kind.library === 'ioredis' || kind.major === 5)(
    'keeps serving through a primary crash with the same client, reports acknowledged writes lost, and (node-redis) tells the new primary as up',
    async () => {
      const store = makeStore<{ n: number }>({ ttl: 600_000 });
      const ups: boolean[] = [];
      const stopWatching = store.redis.onConnectionChange((up) => ups.push(up));
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
      const maxRunMs = 25_000;

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
            tallyError(errors, error);
            await sleep(kind.library === 'ioredis' ? 20 : 50);
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
      stopWatching();

      expect(ackedBeforeKill).toBeGreaterThan(0);
      expect(firstWriteAfterKill).toBeGreaterThan(0);
      expect(failover.newPrimary.port).toBe(topology.replica.port);
      if (kind.library === 'node-redis') {
        // node-redis's sentinel client swaps to the new primary without ever reporting itself down.
        expect(ups).toContain(true);
        expect(ups).not.toContain(false);
      }
      // The same client now talks to the promoted replica.
      const role = (await command(client, 'ROLE')) as unknown[];
      expect(role[0]).toBe('master');
      expect(/tcp_port:(\d+)/.exec(String(await command(client, 'INFO', 'server')))?.[1]).toBe(String(topology.replica.port));
      expect((await store.set('after', { n: -1 }, { userId: 'after' })).stored).toBe(true);
      expect(await store.countUserSessions('after')).toBe(1);

      const got = await Promise.all(acked.map((id) => store.get(id)));
      const lost = acked.filter((_, i) => got[i] === null);
      console.log(
        `[${kind.name} sentinel failover] attempted ${attempted} writes, acknowledged ${acked.length}, failed ${failed}, ` +
          `lost after acknowledgement ${lost.length}; sentinels switched to the replica ${failover.ms} ms after the kill; ` +
          `first write started after the kill acknowledged ${firstWriteAfterKill - killedAt} ms after it; slowest write ${slowest} ms` +
          errorSummary(errors),
      );
    },
    60_000,
  );
});
