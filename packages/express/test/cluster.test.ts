import express from 'express';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStoreCompliance, useRedisCluster } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/express';
import { Agent, complianceTarget, sessionHandle, listen, sessionApp, type ExpressFactory, type Running } from './helpers.js';

/**
 * The express-session RedisStore on a real Redis Cluster, as the README shows it:
 * `new RedisStore({ client })` with an ioredis `Cluster`. One cluster for the file (3 masters,
 * no replicas: nothing here fails a node over, and replicas would only slow the start).
 */

const cluster = useRedisCluster({ masters: 3, replicasPerMaster: 0 });

runStoreCompliance('@sessionkit/express RedisStore on a Redis Cluster (callback API, promisified)', async () =>
  complianceTarget(new RedisStore({ client: await cluster.client(), prefix: 'compliance:', touchAfter: 0 })),
);

describe('express-session over real HTTP on a Redis Cluster', () => {
  let store: RedisStore;
  let app: Running;

  beforeAll(async () => {
    store = new RedisStore({ client: await cluster.client(), prefix: 'http:' });
    app = await listen(sessionApp(express as unknown as ExpressFactory, store));
  });
  afterAll(async () => {
    await app?.close();
    store?.close();
  });

  it('two browsers of one user: list them, sign out the other one, keep the current one', async () => {
    const [laptop, phone, bystander] = [new Agent(app.url), new Agent(app.url), new Agent(app.url)];
    await laptop.json('POST', '/login/ivy');
    await phone.json('POST', '/login/ivy');
    await bystander.json('POST', '/login/jack');
    expect(laptop.sid).toBeDefined();
    expect(phone.sid).toBeDefined();
    expect(store.client).toBeInstanceOf(Cluster);

    const listed = (await laptop.json<{ id: string }[]>('GET', '/sessions')).body;
    expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid!, phone.sid!].map(sessionHandle).sort());

    expect((await laptop.json('POST', '/logout-others')).body.revoked).toBe(1);
    expect((await phone.json('GET', '/me')).body.userId).toBeNull();
    expect((await laptop.json('GET', '/me')).body.userId).toBe('ivy');
    expect((await bystander.json('GET', '/me')).body.userId).toBe('jack');
    expect((await laptop.json<{ id: string }[]>('GET', '/sessions')).body.map((s) => s.id)).toEqual([sessionHandle(laptop.sid!)]);
    expect(await store.countUserSessions('ivy')).toBe(1);
  });
});
