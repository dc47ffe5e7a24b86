import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SessionInfo } from '@sessionkit/core';
import type { TestRedis } from '@sessionkit/testing';
import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentClass, expectRowsMatchStored, sessionRows } from './agent.js';

const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';

/** One running example app, as the HTTP suite needs it. */
export interface AppInstance {
  url: string;
  store: {
    listUserSessions(userId: string): Promise<SessionInfo[]>;
    countUserSessions(userId: string): Promise<number>;
  };
  stop(): Promise<void>;
}

export interface AppTarget {
  /** For the title: "Express", "Fastify", "Koa", "React Router". */
  name: string;
  redis: TestRedis;
  /** The app's cookie jar (it knows how the session id sits in the app's signed cookie). */
  Agent: AgentClass;
  /** An instance on its own Redis connection, made with `clientOptions`. */
  start(clientOptions?: RedisOptions): Promise<AppInstance>;
  /** An instance that trusts X-Forwarded-Proto from a proxy on loopback (each framework spells that its own way). */
  startBehindProxy(): Promise<AppInstance>;
}

/**
 * The example apps' pages over real HTTP, written once for all four: two instances of the app
 * on one Redis, and what a user does with them (sign in, the Active sessions page, revoke, sign
 * out here, elsewhere, everywhere). Call it once, first in the app's app.test.ts: the first test
 * checks that a failed sign-in leaves the file's Redis empty.
 */
export function defineAppSuites({ name, redis, Agent, start, startBehindProxy }: AppTarget): void {
  const fileStarted = Date.now();

  describe(`example ${name} app: two instances sharing one Redis`, () => {
    let a: AppInstance;
    let b: AppInstance;

    beforeAll(async () => {
      [a, b] = await Promise.all([start(), start()]);
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
    });

    it('sends visitors without a session to sign in, and rejects a wrong password', async () => {
      const agent = new Agent();
      expect((await agent.get(`${a.url}/`)).location).toBe('/login');
      const page = await agent.get(`${a.url}/login`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('alice');
      expect(page.text).toContain('<code>password</code>');
      const wrong = await agent.post(`${a.url}/login`, { username: 'alice', password: 'nope' });
      expect(wrong.status).toBe(401);
      expect(wrong.text).toContain('Wrong username or password');
      expect(agent.cookies.size).toBe(0); // no session is saved before sign-in
      expect(await redis.client().dbsize()).toBe(0);
    });

    it('sets a usable cookie over plain HTTP (Secure only over HTTPS), HttpOnly and SameSite=Lax', async () => {
      const agent = new Agent();
      await agent.signIn(a.url, 'alice');
      const cookie = agent.lastSetCookie.find((c) => c.startsWith('sid='))!;
      expect(cookie).toMatch(/HttpOnly/i);
      expect(cookie).toMatch(/SameSite=Lax/i);
      expect(cookie).not.toMatch(/;\s*Secure/i);
      expect(await agent.whoAmI(a.url)).toBe('Alice Liddell');
    });

    it('marks the cookie Secure behind an HTTPS proxy it trusts', async () => {
      const proxied = await startBehindProxy();
      try {
        const agent = new Agent();
        await agent.post(`${proxied.url}/login`, { username: 'bob', password: 'password' }, { 'x-forwarded-proto': 'https' });
        const cookie = agent.lastSetCookie.find((c) => c.startsWith('sid='))!;
        expect(cookie).toMatch(/;\s*Secure/i);
      } finally {
        await proxied.stop();
      }
    });

    it('a cookie from one instance works on the other, and survives the first one stopping', async () => {
      const agent = new Agent();
      await agent.signIn(a.url, 'alice');
      expect(await agent.whoAmI(a.url)).toBe('Alice Liddell');
      expect(await agent.whoAmI(b.url)).toBe('Alice Liddell');
      await a.stop();
      expect(await agent.whoAmI(b.url)).toBe('Alice Liddell');
      a = await start();
      expect(await agent.whoAmI(a.url)).toBe('Alice Liddell');
    });

    it('signing in again issues a new session id (fixation) and the old id is dead', async () => {
      const agent = new Agent();
      await agent.signIn(a.url, 'alice');
      const first = new Agent();
      first.cookies.set('sid', agent.cookies.get('sid')!);
      const before = agent.sid;
      await agent.signIn(b.url, 'bob');
      expect(agent.sid).not.toBe(before);
      expect(await agent.whoAmI(a.url)).toBe('Bob Marley');
      expect(await first.whoAmI(a.url)).toBeNull();
    });

    it('lists the sessions of the user with device and IP, marking this one', async () => {
      const laptop = new Agent();
      const phone = new Agent(IPHONE_UA);
      await laptop.signIn(a.url, 'bob');
      await phone.signIn(b.url, 'bob');
      const page = await laptop.get(`${b.url}/sessions`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('Chrome on Linux');
      expect(page.text).toContain('Safari on iPhone');
      expect(page.text).toContain('127.0.0.1');
      expect(page.text).not.toContain(laptop.sid!); // pages carry handles, never session ids
      const rows = sessionRows(page.text);
      expect(rows.filter((r) => r.current)).toHaveLength(1);
      expect(rows.length).toBeGreaterThanOrEqual(2);
      // "Signed in" and "Last seen": machine-readable times that are the store's own, and plausible.
      expectRowsMatchStored(rows, await b.store.listUserSessions('user-bob'), fileStarted);
      const home = await phone.get(`${a.url}/`);
      expect(home.text).toMatch(/\d+ active sessions/);
    });

    it("revokes one of my sessions from the Active sessions page, but never another user's", async () => {
      const alice1 = new Agent();
      const alice2 = new Agent();
      const bob = new Agent();
      await alice1.signIn(a.url, 'alice');
      await alice2.signIn(b.url, 'alice');
      await bob.signIn(a.url, 'bob');

      const aliceRows = sessionRows((await alice1.get(`${a.url}/sessions`)).text);
      const aliceOther = aliceRows.find((r) => !r.current)!;
      expect(aliceOther).toBeDefined();

      // Bob posts the handle of one of Alice's sessions: nothing happens.
      const attempt = await bob.post(`${a.url}/sessions/revoke`, { session: aliceOther.handle });
      expect(attempt.location).toBe('/sessions?notice=not-found');
      expect(await alice2.whoAmI(a.url)).toBe('Alice Liddell');
      expect(await alice2.whoAmI(b.url)).toBe('Alice Liddell');

      // Alice revokes her other session from instance b; it is signed out on both instances.
      const alice2Handle = sessionRows((await alice2.get(`${b.url}/sessions`)).text).find((r) => r.current)!.handle;
      expect(sessionRows((await alice1.get(`${b.url}/sessions`)).text).map((r) => r.handle)).toContain(alice2Handle);
      const revoked = await alice1.post(`${b.url}/sessions/revoke`, { session: alice2Handle });
      expect(revoked.location).toBe('/sessions?notice=revoked');
      expect(await alice2.whoAmI(a.url)).toBeNull();
      expect(await alice2.whoAmI(b.url)).toBeNull();
      expect(await alice1.whoAmI(a.url)).toBe('Alice Liddell');
      expect(await alice1.whoAmI(b.url)).toBe('Alice Liddell');
      expect(await bob.whoAmI(b.url)).toBe('Bob Marley');
    });

    it('revoking this very session from the list is a sign-out', async () => {
      const agent = new Agent();
      await agent.signIn(a.url, 'bob');
      const mine = sessionRows((await agent.get(`${a.url}/sessions`)).text).find((r) => r.current)!;
      const res = await agent.post(`${a.url}/sessions/revoke`, { session: mine.handle });
      expect(res.status).toBe(307);
      expect(res.location).toBe('/logout');
    });

    it('"sign out everywhere else" keeps this session and ends the others, across instances', async () => {
      const here = new Agent();
      const there = new Agent();
      const third = new Agent();
      await here.signIn(a.url, 'alice');
      await there.signIn(b.url, 'alice');
      await third.signIn(b.url, 'alice');
      const others = await here.post(`${a.url}/sessions/sign-out-others`);
      expect(others.status).toBe(303);
      expect(others.location).toBe('/sessions?notice=others');
      expect(await there.whoAmI(b.url)).toBeNull();
      expect(await third.whoAmI(a.url)).toBeNull();
      expect(await here.whoAmI(b.url)).toBe('Alice Liddell');
      expect(sessionRows((await here.get(`${b.url}/sessions`)).text)).toEqual([expect.objectContaining({ current: true })]);
    });

    it('"sign out everywhere" on one instance kills the cookie used on the other', async () => {
      const here = new Agent();
      const there = new Agent();
      await here.signIn(a.url, 'bob');
      await there.signIn(b.url, 'bob');
      // The per-user index as Redis holds it (docs/data-model.md), and as the store counts it.
      const index = redis.client();
      expect(await index.zcard('idx:sess:{user-bob}')).toBeGreaterThanOrEqual(2);
      expect(await a.store.countUserSessions('user-bob')).toBeGreaterThanOrEqual(2);
      const res = await here.post(`${a.url}/sessions/sign-out-everywhere`);
      expect(res.location).toBe('/login?notice=everywhere');
      expect(await there.whoAmI(b.url)).toBeNull();
      expect(await there.whoAmI(a.url)).toBeNull();
      expect(await here.whoAmI(a.url)).toBeNull();
      expect(await index.zcard('idx:sess:{user-bob}')).toBe(0);
      expect(await b.store.countUserSessions('user-bob')).toBe(0);
    });

    it('sign out ends only this session', async () => {
      const one = new Agent();
      const two = new Agent();
      await one.signIn(a.url, 'alice');
      await two.signIn(b.url, 'alice');
      expect((await one.post(`${b.url}/logout`)).location).toBe('/login?notice=signed-out');
      expect(await one.whoAmI(a.url)).toBeNull();
      expect(await two.whoAmI(a.url)).toBe('Alice Liddell');
    });

    it('refuses cross-site form posts (Origin check beside SameSite=Lax)', async () => {
      const agent = new Agent();
      await agent.signIn(a.url, 'alice');
      const res = await agent.post(`${a.url}/sessions/sign-out-everywhere`, {}, { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(await agent.whoAmI(a.url)).toBe('Alice Liddell');
    });

    it('escapes what it shows: a hostile user agent renders as text', async () => {
      const agent = new Agent('<script>alert(1)</script>');
      await agent.signIn(a.url, 'alice');
      const page = await agent.get(`${a.url}/sessions`);
      expect(page.text).not.toContain('<script>alert(1)</script>');
      expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    });

    it('answers unknown paths with a 404 page', async () => {
      const res = await new Agent().get(`${a.url}/nope`);
      expect(res.status).toBe(404);
      expect(res.text).toContain('Not found');
    });

    it('shows a 503 page, quickly, while Redis does not answer', async () => {
      const fragile = await start({ commandTimeout: 300, maxRetriesPerRequest: 1 });
      try {
        const agent = new Agent();
        await agent.signIn(fragile.url, 'alice');
        redis.server.pause();
        let res: Awaited<ReturnType<typeof agent.get>>;
        const started = Date.now();
        try {
          res = await agent.get(`${fragile.url}/`);
        } finally {
          redis.server.resume();
        }
        expect(res.status).toBe(503);
        expect(res.text).toContain('Sessions unavailable');
        expect(Date.now() - started).toBeLessThan(2000);
        expect(await agent.whoAmI(fragile.url)).toBe('Alice Liddell');
      } finally {
        await fragile.stop();
      }
    });
  });
}

/**
 * Runs `work` and returns the names of the Redis commands that `client`'s own connection sent
 * meanwhile, seen by MONITOR: not the scripts' own calls, not MONITOR's.
 */
export async function commandsDuring<T>(redis: TestRedis, client: Redis, work: () => Promise<T>): Promise<{ result: T; commands: string[] }> {
  const source = `127.0.0.1:${(client as unknown as { stream: { localPort: number } }).stream.localPort}`;
  const monitor = await redis.client().monitor();
  const commands: string[] = [];
  // The connection's last command: once MONITOR shows it, it has shown all of `work`'s.
  const marker = `end-of-work-${Math.random()}`;
  const done = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[], from: string) => {
      if (args[1] === marker) resolve();
      else if (from === source) commands.push(String(args[0]).toLowerCase());
    }),
  );
  try {
    const result = await work();
    await client.echo(marker);
    await done;
    return { result, commands };
  } finally {
    monitor.disconnect();
  }
}

/**
 * An app served on `client`, as an instance that owns that client: `stop` closes the server and
 * then the client (an app's own `close` leaves the client open, for callers that share one).
 */
export async function instanceOn<Served extends { close(): Promise<void> }>(
  client: Redis,
  serve: (client: Redis) => Promise<Served>,
): Promise<Served & { client: Redis; stop(): Promise<void> }> {
  const served = await serve(client);
  let stopped = false;
  return {
    ...served,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      await served.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** `handler` served on a free loopback port; `close` also ends kept-alive connections, so that it does not wait for them. */
export async function listenOnLoopback(handler: RequestListener) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
