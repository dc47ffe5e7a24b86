import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, expectRowsMatchStored, sessionRows, startInstance, useRedis, type Instance } from './helpers.js';

const redis = useRedis();
const fileStarted = Date.now();

describe('example Koa app: two instances sharing one Redis', () => {
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    [a, b] = await Promise.all([startInstance(redis), startInstance(redis)]);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('sends visitors without a session to sign in, and rejects a wrong password', async () => {
    const agent = new Agent();
    expect((await agent.get(`${a.url}/`)).location).toMatch(/^\/login/);
    const page = await agent.get(`${a.url}/login`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('alice');
    expect(page.text).toContain('<code>password</code>');
    const wrong = await agent.post(`${a.url}/login`, { username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong username or password');
    expect(agent.cookies.size).toBe(0); // saveUninitialized: false, nothing stored
    expect(await redis.client().dbsize()).toBe(0);
  });

  it('sets a usable cookie over plain HTTP (secure: auto), HttpOnly and SameSite=Lax', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'alice');
    const cookie = agent.lastSetCookie.find((c) => c.startsWith('sid='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/;\s*Secure/i);
    expect(await agent.whoAmI(a.url)).toBe('Alice Liddell');
  });

  it('marks the cookie Secure behind an HTTPS proxy it trusts', async () => {
    const proxied = await startInstance(redis, { trustProxy: true });
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
    a = await startInstance(redis);
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
    const phone = new Agent(
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    );
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
    expectRowsMatchStored(rows, await b.app.sessionStore.listUserSessions('user-bob'), fileStarted);
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
    const attempt = await bob.post(`${b.url}/sessions/revoke`, { session: aliceOther.handle });
    expect(attempt.location).toContain('notice=not-found');
    expect(await alice2.whoAmI(a.url)).toBe('Alice Liddell');

    // Alice revokes her other session from instance b; the one on a is signed out everywhere.
    const alice2Handle = sessionRows((await alice2.get(`${b.url}/sessions`)).text).find((r) => r.current)!.handle;
    expect(sessionRows((await alice1.get(`${b.url}/sessions`)).text).map((r) => r.handle)).toContain(alice2Handle);
    const revoked = await alice1.post(`${b.url}/sessions/revoke`, { session: alice2Handle });
    expect(revoked.location).toContain('notice=revoked');
    expect(await alice2.whoAmI(a.url)).toBeNull();
    expect(await alice2.whoAmI(b.url)).toBeNull();
    expect(await alice1.whoAmI(a.url)).toBe('Alice Liddell');
    expect(await bob.whoAmI(b.url)).toBe('Bob Marley');
  });

  it('"Sign out everywhere else" keeps this session, "Sign out everywhere" ends them all, across instances', async () => {
    const user = 'alice';
    const here = new Agent();
    const there = new Agent();
    const third = new Agent();
    await here.signIn(a.url, user);
    await there.signIn(b.url, user);
    await third.signIn(b.url, user);

    const others = await here.post(`${a.url}/sessions/sign-out-others`);
    expect(others.status).toBe(303);
    expect(others.location).toContain('notice=others');
    expect(await there.whoAmI(b.url)).toBeNull();
    expect(await third.whoAmI(a.url)).toBeNull();
    expect(await here.whoAmI(b.url)).toBe('Alice Liddell');

    await there.signIn(b.url, user);
    const everywhere = await there.post(`${b.url}/sessions/sign-out-everywhere`);
    expect(everywhere.location).toContain('notice=everywhere');
    expect(await here.whoAmI(a.url)).toBeNull();
    expect(await there.whoAmI(a.url)).toBeNull();
    const count = await a.app.sessionStore.countUserSessions('user-alice');
    expect(count).toBe(0);
  });

  it('revoking this very session from the list is a sign-out', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'bob');
    const mine = sessionRows((await agent.get(`${a.url}/sessions`)).text).find((r) => r.current)!;
    const res = await agent.post(`${a.url}/sessions/revoke`, { session: mine.handle });
    expect(res.status).toBe(307);
    expect(res.location).toBe('/logout');
  });

  it('Sign out ends only this session', async () => {
    const one = new Agent();
    const two = new Agent();
    await one.signIn(a.url, 'bob');
    await two.signIn(b.url, 'bob');
    const out = await one.post(`${b.url}/logout`);
    expect(out.location).toContain('notice=signed-out');
    expect(await one.whoAmI(a.url)).toBeNull();
    expect(await two.whoAmI(a.url)).toBe('Bob Marley');
  });

  it('refuses cross-site form posts', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'bob');
    const res = await agent.post(`${a.url}/sessions/sign-out-everywhere`, {}, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(await agent.whoAmI(a.url)).toBe('Bob Marley');
  });

  it('answers unknown paths with a 404 page', async () => {
    const res = await new Agent().get(`${a.url}/nope`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('Not found');
  });

  it('shows a 503 page, quickly, while Redis does not answer', async () => {
    const fragile = await startInstance(redis, {}, { commandTimeout: 300, maxRetriesPerRequest: 1 });
    try {
      const agent = new Agent();
      await agent.signIn(fragile.url, 'alice');
      redis.server.pause();
      let res: Awaited<ReturnType<Agent['get']>>;
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
