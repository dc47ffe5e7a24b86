import { describe, expect, it } from 'vitest';
import { encodeUserId, FrameworkStore, keySlot, SessionLimitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { adminCommand, nodeRedisVariants, runStoreCompliance, useRedisCluster, type ClusterNodeInfo, type TestSession } from '@sessionkit/testing';
import { complianceTarget, sleep } from './helpers.js';

/**
 * The store on a node-redis `createCluster` (v5 RESP2 and v6 RESP3), on a real local Redis
 * Cluster of 3 masters and 3 replicas: the same behaviour cluster.test.ts proves on ioredis.
 * The failover test runs last and on node-redis 6 only (it kills a master; ioredis has its own
 * in cluster.test.ts). node-redis 5 refreshes its slot map only on MOVED/ASK, so it does not find
 * a promoted replica by itself (redis/node-redis#2806); node-redis 6 also refreshes when a node
 * keeps reconnecting (`topologyRefreshOnReconnectionAttemptStrategy`, 5 s by default). See
 * docs/operations.md.
 */

const topology = useRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeout: 1000 });
let prefixCount = 0;
const asClient = (client: unknown) => client as SessionStoreOptions['client'];

/** Port of the master serving a key, from the slot map as the cluster reports it now. */
function ownerOf(masters: ClusterNodeInfo[], key: string): number {
  const slot = keySlot(key);
  const owner = masters.find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
  if (!owner) throw new Error(`no master for slot ${slot}`);
  return owner.port;
}

describe.each(nodeRedisVariants)('$name on a Redis Cluster (3 masters, 3 replicas)', (variant) => {
  const makeStore = async <T = unknown>(options: Partial<SessionStoreOptions> = {}) =>
    new SessionStore<T>({ client: asClient(await topology.nodeRedis(variant)), prefix: `nrc${++prefixCount}:`, ...options });

  runStoreCompliance(`core FrameworkStore on a ${variant.name} cluster client`, async () =>
    complianceTarget(
      new FrameworkStore<TestSession>({ client: asClient(await topology.nodeRedis(variant)), prefix: `nrc-compliance${variant.major}:`, touchAfter: 0 }),
    ),
  );

  it('sets, gets, touches and destroys, with the session and its index on different masters', async () => {
    const store = await makeStore<{ n: number }>();
    expect(store.redis).toMatchObject({ library: 'node-redis', cluster: true });
    const masters = await topology.cluster.masters();
    const index = store.keys.index(encodeUserId('alice'));
    let sid = 'sid-0';
    for (let i = 0; ownerOf(masters, store.keys.session(sid)) === ownerOf(masters, index); i++) sid = `sid-${i}`;

    const written = await store.set(sid, { n: 1 }, { userId: 'alice', meta: { ua: 'test' }, ttl: 60_000 });
    expect(written.stored).toBe(true);
    const record = await store.get(sid);
    expect(record).toMatchObject({ id: sid, data: { n: 1 }, userId: 'alice', meta: { ua: 'test' } });
    expect((await store.listUserSessions('alice')).map((s) => s.id)).toEqual([sid]);
    await sleep(5);
    const expiresAt = await store.touch(sid, { ttl: 120_000 });
    expect(expiresAt).toBeGreaterThan(record!.expiresAt);
    expect((await store.listUserSessions('alice'))[0]!.expiresAt).toBe(expiresAt);
    expect(await store.destroy(sid)).toBe(true);
    expect(await store.get(sid)).toBeNull();
    expect(await store.countUserSessions('alice')).toBe(0);
    expect(await store.set(sid, { n: 3 }, { userId: 'alice' })).toEqual({ stored: false, reason: 'revoked' });
  });

  it('groups keys by the master that serves them: one batch per master, no MOVED', async () => {
    const store = await makeStore();
    const keys = Array.from({ length: 300 }, (_, i) => store.keys.session(`g-${i}`));
    const groups = store.redis.groupByMaster(keys);
    expect(groups.has(undefined)).toBe(false);
    expect(groups.size).toBe(3);
    expect(store.redis.masters()).toHaveLength(3);
    for (const [node, group] of groups) {
      const replies = await node!.sendAll(group.map((key) => ['PTTL', key]));
      // A key sent to a master that does not own its slot would come back as a MOVED error.
      expect(replies.filter((reply) => reply instanceof Error)).toEqual([]);
      expect(replies.every((reply) => reply === -2)).toBe(true);
    }
  });

  it('the per-user index across masters: listing, revoking one device, logout-everywhere, the caps', async () => {
    const store = await makeStore({ revokeChunkSize: 25 });
    const ids = Array.from({ length: 60 }, (_, i) => `u-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: 'many', meta: { id } })));
    const masters = await topology.cluster.masters();
    expect(new Set(ids.map((id) => ownerOf(masters, store.keys.session(id)))).size).toBe(3);
    const listed = await store.listUserSessions('many');
    expect(listed.map((s) => s.id).sort()).toEqual([...ids].sort());
    expect(await store.revokeUserSession('someone-else', 'u-1')).toBe(false);
    expect(await store.revokeUserSession('many', 'u-1')).toBe(true);
    expect(await store.invalidateAllUserSessions('many', { except: 'u-0' })).toBe(58);
    expect((await store.listUserSessions('many')).map((s) => s.id)).toEqual(['u-0']);
    const left = await Promise.all(ids.map((id) => store.get(id)));
    expect(left.filter(Boolean).map((r) => r!.id)).toEqual(['u-0']);
    expect((await store.set('u-2', {}, { userId: 'many' })).reason).toBe('revoked');

    const evicting = await makeStore({ maxSessionsPerUser: 2 });
    for (const [i, id] of ['e1', 'e2', 'e3'].entries()) await evicting.set(id, {}, { userId: 'capped', ttl: 10_000 * (i + 1) });
    expect((await evicting.listUserSessions('capped')).map((s) => s.id).sort()).toEqual(['e2', 'e3']);
    expect(await evicting.get('e1')).toBeNull();

    const strict = await makeStore({ maxSessionsPerUser: 1, sessionLimitPolicy: 'reject' });
    await strict.set('one', {}, { userId: 'z' });
    await expect(strict.set('two', {}, { userId: 'z' })).rejects.toBeInstanceOf(SessionLimitError);
    expect(await strict.get('two')).toBeNull();
  });

  it('ids, all, length and clear SCAN every master', async () => {
    const store = await makeStore();
    const ids = Array.from({ length: 40 }, (_, i) => `scan-${i}`);
    await Promise.all(ids.map((id) => store.set(id, { id }, { userId: `owner-${Number(id.slice(5)) % 4}` })));
    expect((await store.ids()).sort()).toEqual([...ids].sort());
    expect(await store.length()).toBe(40);
    expect((await store.all()).length).toBe(40);
    expect(await store.clear()).toBeGreaterThanOrEqual(40 + 4);
    expect(await store.length()).toBe(0);
    for (const node of topology.cluster.startupNodes) {
      const [, left] = await adminCommand<[string, string[]]>(node, 'SCAN', '0', 'MATCH', `${store.options.prefix}*`, 'COUNT', 1000);
      expect(left).toEqual([]);
    }
  });

  it('race: logins from a second client during logout-everywhere leave nothing written before it, and no unindexed survivor (x4)', async () => {
    const admin = await makeStore();
    const app = new SessionStore({ client: asClient(await topology.nodeRedis(variant)), prefix: admin.options.prefix });
    let revoked = 0;
    let survivors = 0;
    for (let round = 0; round < 4; round++) {
      const user = `racer-${round}`;
      const before = Array.from({ length: 20 }, (_, i) => `pre-${round}-${i}`);
      await Promise.all(before.map((id) => app.set(id, { pre: true }, { userId: user })));
      const acked = new Map<string, { at: number; stored: boolean }>();
      const written = new Set(before);
      let stop = false;
      let n = 0;
      const worker = async () => {
        while (!stop) {
          const id = `race-${round}-${n++}`;
          written.add(id);
          const r = await app.set(id, { round }, { userId: user });
          acked.set(id, { at: performance.now(), stored: r.stored });
        }
      };
      const workers = Array.from({ length: 12 }, worker);
      await sleep(15 + round * 3);
      const began = performance.now();
      revoked += await admin.invalidateAllUserSessions(user);
      await sleep(5);
      stop = true;
      await Promise.all(workers);

      const everyId = [...written];
      const got = await Promise.all(everyId.map((id) => admin.get(id)));
      const alive = new Set(everyId.filter((_, i) => got[i] !== null));
      const completedBefore = [...before, ...[...acked].filter(([, a]) => a.stored && a.at < began).map(([id]) => id)];
      expect(completedBefore.filter((id) => alive.has(id))).toEqual([]);
      const listed = (await admin.listUserSessions(user)).map((s) => s.id);
      expect(listed.filter((id) => !alive.has(id))).toEqual([]);
      expect([...alive].filter((id) => !listed.includes(id))).toEqual([]);
      expect(await admin.invalidateAllUserSessions(user)).toBe(alive.size);
      survivors += alive.size;
    }
    expect(revoked).toBeGreaterThan(0);
    console.log(
      `[cluster race ${variant.name}] x4: ${revoked} revoked by logout-everywhere; ${survivors} logins completed after it began survived (all indexed)`,
    );
  });
});

describe('failover on node-redis 6 (runs last: it kills a master)', () => {
  it('keeps serving through a master crash with the same client', async () => {
    const client = await topology.nodeRedis(nodeRedisVariants[1]!);
    const store = new SessionStore<{ n: number }>({ client: asClient(client), prefix: 'nrc-fo:', ttl: 600_000 });
    const masters = await topology.cluster.masters();
    const victim = masters[0]!;
    const onVictim = (id: string) => ownerOf(masters, store.keys.session(id)) === victim.port;

    const acked: string[] = [];
    let attempted = 0;
    let failed = 0;
    let n = 0;
    let killedAt = 0;
    let firstVictimWriteAfterKill = 0;
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
            if (killedAt && startedAt > killedAt && onVictim(id) && !firstVictimWriteAfterKill) firstVictimWriteAfterKill = Date.now();
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
    await topology.cluster.killMaster(victim.port);
    killedAt = Date.now();
    const failover = await topology.cluster.waitForFailover(victim.port, killedAt);
    while (!firstVictimWriteAfterKill && Date.now() - start < maxRunMs) await sleep(50);
    await sleep(500);
    stop = true;
    await Promise.all(workers);

    expect(ackedBeforeKill).toBeGreaterThan(0);
    expect(firstVictimWriteAfterKill).toBeGreaterThan(0);
    const probe = Array.from({ length: 64 }, (_, i) => `probe-${i}`)
      .filter(onVictim)
      .slice(0, 5);
    for (const id of probe) expect((await store.set(id, { n: -1 }, { userId: 'probe' })).stored).toBe(true);
    expect(await store.countUserSessions('probe')).toBe(probe.length);
    const got = await Promise.all(acked.map((id) => store.get(id)));
    const lost = acked.filter((_, i) => got[i] === null);
    expect(lost.filter((id) => !onVictim(id))).toEqual([]);
    console.log(
      `[node-redis cluster failover] attempted ${attempted} writes, acknowledged ${acked.length}, failed ${failed}, lost after acknowledgement ${lost.length}; ` +
        `replica promoted ${failover.ms} ms after the kill; first write to the killed shard acknowledged ${firstVictimWriteAfterKill - killedAt} ms after it` +
        (errors.size ? `; errors: ${JSON.stringify(Object.fromEntries(errors))}` : ''),
    );
  }, 60_000);
});
