import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, expectRowsMatchStored, sessionRows, startInstance, useRedis, type Instance } from './helpers.js';

/** Runs `work` and counts the Redis commands the instance's own connection sent meanwhile (MONITOR). */
async function countOn(instance: Instance, work: () => Promise<unknown>): Promise<{ commands: number }> {
  const source = `127.0.0.1:${(instance.client as unknown as { stream: { localPort: number } }).stream.localPort}`;
  const monitor = await redis.client().monitor();
  let commands = 0;
  const marker = `end-${Math.random()}`;
  const done = new Promise<void>((resolve) =>
    monitor.on('monitor', (_time: string, args: string[], from: string) => {
      if (args[1] === marker) resolve();
      else if (from === source) commands++;
    }),
  );
  try {
    await work();
    await instance.client.echo(marker);
    await done;
  } finally {
    monitor.disconnect();
  }
  return { commands };
}

const redis = useRedis();
const fileStarted = Date.now();

describe('example React Router app: two instances sharing one Redis', () => {
  let a: Instance;
  let b: Instance;

  beforeAll(async () => {
    a = await startInstance(redis);
    b = await startInstance(redis);
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
  });

  it('sends visitors without a session to sign in, and rejects a wrong password', async () => {
    const agent = new Agent();
    expect((await agent.get(`${a.url}/`)).location).toBe('/login');
    const page = await agent.get(`${a.url}/login`);
    expect(page.text).toContain('alice');
    expect(page.text).toContain('<code>password</code>');
    const wrong = await agent.post(`${a.url}/login`, { username: 'alice', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('Wrong username or password');
    expect(agent.cookies.size).toBe(0); // no session is committed before sign-in, nothing stored
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

  it('rolling: an unchanged page view re-sends the cookie with a full maxAge, for one Redis round trip', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'alice');
    expect(await agent.whoAmI(a.url)).toBe('Alice Liddell'); // reads (and so clears) the "Signed in." flash: a save
    // Only the commands of this instance's connection (not the scripts' own calls, not MONITOR's).
    const source = `127.0.0.1:${(a.client as unknown as { stream: { localPort: number } }).stream.localPort}`;
    const monitor = await redis.client().monitor();
    const commands: string[] = [];
    const marker = `end-of-request-${Math.random()}`;
    const done = new Promise<void>((resolve) =>
      monitor.on('monitor', (_time: string, args: string[], from: string) => {
        if (args[1] === marker) resolve();
        else if (from === source) commands.push(String(args[0]).toLowerCase());
      }),
    );
    let res: Awaited<ReturnType<Agent['get']>>;
    try {
      res = await agent.get(`${a.url}/login`); // signed in: redirected home, no page work in Redis
      await a.client.echo(marker);
      await done;
    } finally {
      monitor.disconnect();
    }
    expect(res.location).toBe('/');
    expect(commands).toHaveLength(1); // the session read; the commit of unchanged data writes nothing
    const home = await countOn(a, () => agent.get(`${a.url}/`));
    expect(home.commands).toEqual(2); // the read, and the page's own count of the user's sessions
    const cookie = agent.lastSetCookie.find((line) => line.startsWith('sid='));
    expect(cookie).toMatch(/Max-Age=604800/);
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
    expectRowsMatchStored(rows, await b.store.listUserSessions('user-bob'), fileStarted);
  });

  it("revokes one of my sessions from the Active sessions page, but never another user's", async () => {
    const alice1 = new Agent();
    const alice2 = new Agent();
    const bob = new Agent();
    await alice1.signIn(a.url, 'alice');
    await alice2.signIn(b.url, 'alice');
    await bob.signIn(a.url, 'bob');

    // Bob posts the handle of one of Alice's sessions: nothing happens.
    const aliceRows = sessionRows((await alice1.get(`${a.url}/sessions`)).text);
    const aliceOther = aliceRows.find((r) => !r.current)!;
    const attempt = await bob.post(`${a.url}/sessions/revoke`, { session: aliceOther.handle });
    expect(attempt.location).toBe('/sessions?notice=not-found');
    expect(await alice2.whoAmI(b.url)).toBe('Alice Liddell');

    // Alice revokes a session of hers other than this one (alice2's is among them).
    const others = aliceRows.filter((r) => !r.current);
    for (const row of others) {
      expect((await alice1.post(`${a.url}/sessions/revoke`, { session: row.handle })).location).toBe('/sessions?notice=revoked');
    }
    expect(await alice2.whoAmI(b.url)).toBeNull();
    expect(await alice1.whoAmI(b.url)).toBe('Alice Liddell');
    expect(await bob.whoAmI(b.url)).toBe('Bob Marley');
  });

  it('"sign out everywhere else" keeps this session and ends the others, across instances', async () => {
    const here = new Agent();
    const there = new Agent();
    await here.signIn(a.url, 'alice');
    await there.signIn(b.url, 'alice');
    expect((await here.post(`${a.url}/sessions/sign-out-others`)).location).toBe('/sessions?notice=others');
    expect(await there.whoAmI(b.url)).toBeNull();
    expect(await here.whoAmI(b.url)).toBe('Alice Liddell');
    expect(sessionRows((await here.get(`${b.url}/sessions`)).text)).toEqual([expect.objectContaining({ current: true })]);
  });

  it('"sign out everywhere" on one instance kills the cookie used on the other', async () => {
    const here = new Agent();
    const there = new Agent();
    await here.signIn(a.url, 'bob');
    await there.signIn(b.url, 'bob');
    expect(await a.store.countUserSessions('user-bob')).toBeGreaterThanOrEqual(2);
    const res = await here.post(`${a.url}/sessions/sign-out-everywhere`);
    expect(res.location).toBe('/login?notice=everywhere');
    expect(await there.whoAmI(b.url)).toBeNull();
    expect(await here.whoAmI(a.url)).toBeNull();
    expect(await b.store.countUserSessions('user-bob')).toBe(0);
  });

  it('sign out ends only this session', async () => {
    const one = new Agent();
    const two = new Agent();
    await one.signIn(a.url, 'alice');
    await two.signIn(a.url, 'alice');
    expect((await one.post(`${b.url}/logout`)).location).toBe('/login?notice=signed-out');
    expect(await one.whoAmI(a.url)).toBeNull();
    expect(await two.whoAmI(a.url)).toBe('Alice Liddell');
  });

  it('refuses cross-site form posts (Origin check beside SameSite=Lax)', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'alice');
    const res = await fetch(`${a.url}/sessions/sign-out-everywhere`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: `sid=${agent.cookies.get('sid')}`, origin: 'https://evil.example' },
    });
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
});
