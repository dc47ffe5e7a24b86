import type { Cluster } from 'ioredis';
import { SessionStore } from '@sessionkit/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHandle, useRedisCluster } from '@sessionkit/testing';
import { Browser, clusterNodes, expressApp, LAPTOP, PHONE, sessionkit, sessionkitJson, TABLET, type App } from './helpers.js';

/** One check of `doctor --json`. */
interface Check {
  id: string;
  status: string;
  detail: string;
}

/**
 * The CLI on a real 3-master cluster, seeded through --cluster-nodes or REDIS_CLUSTER_NODES:
 * list, revoke and stats, with sessions signed in through @sessionkit/express on an ioredis
 * Cluster, so that sessions and indexes sit on different masters.
 */

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });
let client: Cluster;
let app: App;
let nodes: string;

beforeAll(async () => {
  client = await cluster.client();
  nodes = clusterNodes(client);
  app = await expressApp(client);
});
afterAll(async () => {
  await app?.close();
});

async function signIn(user: string, userAgent: string): Promise<Browser> {
  const browser = new Browser(app.url, userAgent);
  await browser.post(`/login/${encodeURIComponent(user)}`);
  return browser;
}

describe('list and revoke on a cluster', () => {
  it('lists, revokes one, then signs the user out everywhere but one', async () => {
    const browsers = [];
    for (let i = 0; i < 6; i++) browsers.push(await signIn('nina', [LAPTOP, PHONE, TABLET][i % 3]!));
    const bystander = await signIn('otto', LAPTOP);

    const listed = await sessionkitJson(['--cluster-nodes', nodes, 'list', 'nina']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.json.sessions.map((s: { id: string }) => s.id).sort()).toEqual(browsers.map((b) => sessionHandle(b.sid!)).sort());
    // REDIS_CLUSTER_NODES gives the same answer.
    expect((await sessionkitJson(['list', 'nina'], { REDIS_CLUSTER_NODES: nodes })).json.count).toBe(6);

    const one = await sessionkitJson(['--cluster-nodes', nodes, 'revoke', 'nina', '--', browsers[0]!.sid!, bystander.sid!]);
    expect(one.json).toMatchObject({ revoked: 1, requested: 2 });
    expect(await browsers[0]!.me()).toBeNull();
    expect(await bystander.me()).toBe('otto');

    const kept = browsers[1]!;
    const all = await sessionkitJson(['revoke', 'nina', '--all', '--except', kept.sid!], { REDIS_CLUSTER_NODES: nodes });
    expect(all.code, all.stderr).toBe(0);
    expect(all.json).toMatchObject({ all: true, revoked: 4 });
    for (const browser of browsers.slice(2)) expect(await browser.me()).toBeNull();
    expect(await kept.me()).toBe('nina');
    expect(await bystander.me()).toBe('otto');

    const readable = await sessionkit(['--cluster-nodes', nodes, 'list', 'nina']);
    expect(readable.stdout).toContain('User nina: 1 live session');
    expect(readable.stderr).toContain(`Redis: cluster ${nodes} (--cluster-nodes)`);
  });
});

describe('stats on a cluster', () => {
  it('walks every master and counts what each holds', async () => {
    const prefix = 'cstats:';
    const stats = await expressApp(client, prefix);
    try {
      for (let i = 0; i < 12; i++) {
        const browser = new Browser(stats.url, LAPTOP);
        await browser.post(`/login/user-${i % 4}`);
      }
      for (let i = 0; i < 3; i++) await new Browser(stats.url, PHONE).post('/visit');

      const masters = client.nodes('master');
      const perMaster = await Promise.all(masters.map(async (node) => (await node.keys(`${prefix}*`)).length));
      // The test means something only if sessions landed on more than one master.
      expect(perMaster.filter((n) => n > 0).length).toBeGreaterThan(1);

      const run = await sessionkitJson(['--cluster-nodes', nodes, '--prefix', prefix, 'stats', '--rate', '1000']);
      expect(run.code, run.stderr).toBe(0);
      expect(run.json).toMatchObject({
        scan: { complete: true, masters: 3 },
        sessions: { total: 15, signedIn: 12, anonymous: 3 },
        users: { signedIn: 4, sessionsPerUser: { median: 3, p99: 3, max: 3 } },
        indexes: { total: 4, members: 12 },
        tombstones: 0,
      });
      const dbsize = (await Promise.all(masters.map((node) => node.dbsize()))).reduce((a, b) => a + b, 0);
      expect(run.json.scan.keysWalked).toBe(dbsize);
    } finally {
      await stats.close();
    }
  });
});

describe('doctor on a cluster', () => {
  it('checks every master and the cluster state', async () => {
    const run = await sessionkitJson(['--cluster-nodes', nodes, 'doctor', '--samples', '3']);
    expect(run.json.masters).toBe(3);
    const topology = run.json.checks.find((c: Check) => c.id === 'topology') as Check;
    expect(topology.status).toBe('pass');
    expect(topology.detail).toContain('cluster_state ok, 16384 of 16384 slots assigned');
    // The test cluster's masters run with default maxmemory-policy (noeviction) and no persistence.
    expect((run.json.checks.find((c: Check) => c.id === 'maxmemory-policy') as Check).status).toBe('pass');
    expect((run.json.checks.find((c: Check) => c.id === 'acl') as Check).status).toBe('pass');
    expect(run.code).toBe(0);
  });
});

describe('migrate on a cluster', () => {
  it('moves connect-redis sessions found on every master to their hashed keys and indexes; logout-everywhere then reaches them', async () => {
    const prefix = 'cmig:';
    // What connect-redis writes: the session as a JSON string, with the cookie's expiry as its TTL.
    const cookie = { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000).toISOString() };
    for (let i = 0; i < 12; i++) {
      await client.set(`${prefix}legacy-${i}`, JSON.stringify({ cookie, userId: `pat-${i % 2}` }), 'PX', 3_600_000);
    }
    const run = await sessionkitJson(['--cluster-nodes', nodes, '--prefix', prefix, 'migrate']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ complete: true, plainIdSessions: 12, connectRedisSessions: 12, moved: 12, kept: 0, scan: { masters: 3 } });
    const again = await sessionkitJson(['--cluster-nodes', nodes, '--prefix', prefix, 'migrate']);
    expect(again.json).toMatchObject({ plainIdSessions: 0, moved: 0 });

    const store = new SessionStore({ client, prefix });
    // Under their hashed keys now, each on the master of its own slot (the cluster client routes by key).
    for (let i = 0; i < 12; i++) expect(await client.exists(store.keys.session(`legacy-${i}`))).toBe(1);
    expect(await store.invalidateAllUserSessions('pat-0')).toBe(6);
    expect(await store.invalidateAllUserSessions('pat-1')).toBe(6);
    for (let i = 0; i < 12; i++) expect(await store.get(`legacy-${i}`)).toBeNull();
  });
});
