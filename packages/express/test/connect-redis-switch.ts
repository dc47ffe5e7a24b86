import express from 'express';
import type { Store } from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '@sessionkit/express';
import { nodeRedisVariants, type NodeRedisSingle } from '@sessionkit/testing';
import { Agent, listen, sessionApp, sessionHandle, useRedis, type ExpressFactory, type Running } from './helpers.js';

/** How a test makes the connect-redis store the app ran before the switch. */
export type ConnectRedisFactory = () => Promise<(opts: { client: NodeRedisSingle; prefix: string }) => Store>;

/**
 * The connect-redis 9/10 migration of docs/migrate-from-connect-redis.md, proved over HTTP: the
 * app signs users in with connect-redis on its node-redis client, then the same app, with only
 * the store's import changed, runs @sessionkit/express on the SAME client, and the users are
 * still signed in. On both node-redis majors (connect-redis 9 and 10 accept redis >= 5).
 */
export function describeSwitchFromConnectRedis(major: number, connectRedis: ConnectRedisFactory, options: { skip?: boolean } = {}): void {
  const redis = useRedis();
  const asClient = (client: unknown) => client as RedisStoreOptions['client'];

  describe.skipIf(Boolean(options.skip)).each(nodeRedisVariants)(`switching from connect-redis ${major} on $name`, (variant) => {
    let client: NodeRedisSingle;
    let before: Running; // the app as it ran with connect-redis
    let after: Running; // the same app after the one-line change
    let ours: RedisStore;
    const prefix = `cr${major}-${variant.major}:`;

    beforeAll(async () => {
      const makeConnectRedis = await connectRedis();
      client = await redis.nodeRedis(variant);
      before = await listen(sessionApp(express as unknown as ExpressFactory, makeConnectRedis({ client, prefix })));
      ours = new RedisStore({ client: asClient(client), prefix });
      after = await listen(sessionApp(express as unknown as ExpressFactory, ours));
    });
    afterAll(async () => {
      await before?.close();
      await after?.close();
      ours?.close();
    });

    it(`logs nobody out: sessions connect-redis ${major} wrote read through RedisStore on the same client, and join the user index`, async () => {
      const alice = new Agent(before.url);
      await alice.json('POST', '/login/alice');
      await alice.json('POST', '/count');
      const carol = new Agent(before.url);
      await carol.json('POST', '/login/carol');
      expect(await redis.client().type(`${prefix}${alice.sid}`)).toBe('string'); // connect-redis's layout
      expect(ours.client).toBe(client);

      alice.base = after.url;
      carol.base = after.url;
      expect((await alice.json('GET', '/me')).body).toMatchObject({ session: true, sid: alice.sid, userId: 'alice', n: 1 });
      expect((await carol.json('GET', '/me')).body).toMatchObject({ session: true, userId: 'carol' });

      // Once SessionKit has written it, the session is in alice's index: logout-everywhere reaches it.
      expect((await alice.json('POST', '/count')).body.n).toBe(2);
      expect((await alice.json('GET', '/me')).body.n).toBe(2);
      expect((await ours.listUserSessions('alice')).map((s) => s.id)).toEqual([sessionHandle(alice.sid!)]);
      expect(await ours.invalidateAllUserSessions('alice')).toBe(1);
      expect((await alice.json('GET', '/me')).body.userId).toBeNull();
      expect((await carol.json('GET', '/me')).body.userId).toBe('carol');
    });

    it('new sign-ins after the switch work on the same client, with the per-user API', async () => {
      const phone = new Agent(after.url);
      const laptop = new Agent(after.url);
      await phone.json('POST', '/login/dave');
      await laptop.json('POST', '/login/dave');
      const listed = await phone.json<{ id: string }[]>('GET', '/sessions');
      expect(listed.body.map((s) => s.id).sort()).toEqual([phone.sid!, laptop.sid!].map(sessionHandle).sort());
      expect((await phone.json('POST', '/logout-others')).body.revoked).toBe(1);
      expect((await laptop.json('GET', '/me')).body.userId).toBeNull();
      expect((await phone.json('GET', '/me')).body.userId).toBe('dave');
    });
  });
}
