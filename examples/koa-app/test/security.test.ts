import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Agent, SECRET, serve, useRedis, type Served } from './helpers.js';

/**
 * Security checks on the example Koa app over real HTTP and a real redis-server. The shared
 * suites of examples/shared/test/security.ts assume the signature sits in the session cookie
 * ("<id>.<signature>"); koa-session puts it in a second cookie (`sid.sig`), so the same checks
 * are written here for that layout. docs/security.md maps them to OWASP ASVS 5.0 V7.
 */
const redis = useRedis();

/** Keygrip's signature (Koa's `app.keys`, SHA-1 HMAC by default) of the cookie "sid=<value>", as `sid.sig` carries it. */
const sign = (value: string, key: string) =>
  createHmac('sha1', key)
    .update(`sid=${value}`)
    .digest('base64')
    .replace(/\/|\+|=/g, (c) => ({ '/': '_', '+': '-', '=': '' })[c]!);

describe('example Koa app: security', () => {
  let app: Served;
  beforeAll(async () => {
    app = await serve(redis.client());
  });
  afterAll(async () => {
    await app?.close();
  });

  it('session ids (ASVS 7.2.3): 200 sign-ins give 200 distinct ids of 32 base64url characters (192 bits), each signed with the app key', async () => {
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async (_, worker) => {
        for (let i = 0; i < 25; i++) {
          const agent = new Agent();
          await agent.signIn(app.url, worker % 2 ? 'alice' : 'bob');
          expect(agent.cookies.get('sid.sig')).toBe(sign(agent.sid!, SECRET));
          ids.push(agent.sid!);
        }
      }),
    );
    expect(new Set(ids).size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The whole alphabet is in use (6400 symbols): a hex or UUID generator would fail here.
    expect(new Set(ids.join('')).size).toBe(64);
  });

  it("forged cookies (ASVS 7.2.1): another user's raw id, a signature made with another key, a tampered one or one of another id never reach the store", async () => {
    const victim = new Agent();
    await victim.signIn(app.url, 'alice');
    const victimId = victim.sid!;
    const valid = victim.cookies.get('sid.sig')!;
    const forgeries: Record<string, string> = {
      'raw id, no signature': `sid=${victimId}`,
      'signed with another key': `sid=${victimId}; sid.sig=${sign(victimId, 'not the app key')}`,
      'tampered signature': `sid=${victimId}; sid.sig=${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`,
      'signature of another id': `sid=${victimId}; sid.sig=${sign(`${victimId}x`, SECRET)}`,
    };

    const asked: string[] = [];
    const original = app.store.get;
    app.store.get = function (this: typeof app.store, key: string, ...rest: unknown[]) {
      asked.push(key);
      return original.call(this, key, ...(rest as []));
    } as typeof original;
    try {
      for (const [what, cookie] of Object.entries(forgeries)) {
        const home = await fetch(`${app.url}/`, { headers: { cookie }, redirect: 'manual' });
        expect(home.status, what).toBe(303);
        expect(home.headers.get('location'), what).toMatch(/^\/login/);
        const everywhere = await fetch(`${app.url}/sessions/sign-out-everywhere`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
        expect(everywhere.status, what).toBe(303);
        expect([...home.headers.getSetCookie(), ...everywhere.headers.getSetCookie()].join(' '), what).not.toContain(victimId);
      }
    } finally {
      app.store.get = original;
    }
    expect(asked).not.toContain(victimId);
    expect(await victim.whoAmI(app.url)).toBe('Alice Liddell');
    expect(await app.store.countUserSessions('user-alice')).toBeGreaterThanOrEqual(1);
  });

  it('session fixation (ASVS 7.2.4): signing in with a planted cookie gives a new id, and the planted session ends', async () => {
    const attacker = new Agent();
    await attacker.signIn(app.url, 'bob');
    const victim = new Agent();
    victim.cookies.set('sid', attacker.cookies.get('sid')!);
    victim.cookies.set('sid.sig', attacker.cookies.get('sid.sig')!);
    await victim.signIn(app.url, 'alice');
    expect(victim.sid).not.toBe(attacker.sid);
    expect(await victim.whoAmI(app.url)).toBe('Alice Liddell');
    expect(await attacker.whoAmI(app.url)).toBeNull();

    // An attacker-chosen id, even signed with the right key, is not adopted: it names no session.
    const chosen = 'attacker-chosen-session-id-00000';
    const other = new Agent();
    other.cookies.set('sid', chosen);
    other.cookies.set('sid.sig', sign(chosen, SECRET));
    await other.signIn(app.url, 'alice');
    expect(other.sid).not.toBe(chosen);
    expect(await app.store.get(chosen)).toBeNull();
  });

  it('timeouts (ASVS 7.3.1, 7.3.2): a 7-day idle timeout and a 30-day absolute lifetime from sign-in', async () => {
    const agent = new Agent();
    await agent.signIn(app.url, 'alice');
    const session = (await app.store.listUserSessions('user-alice')).find((s) => s.id === app.store.sessionHandle(agent.sid!))!;
    expect(session.absoluteExpiresAt! - session.createdAt).toBe(30 * 24 * 3600 * 1000);
    expect(Math.abs(session.expiresAt - (session.lastSeenAt + 7 * 24 * 3600 * 1000))).toBeLessThan(5000);
  });

  it('an active user is signed out once absoluteTimeout has passed since sign-in', async () => {
    const short = await serve(redis.client(), { absoluteTimeout: 1200 });
    try {
      const agent = new Agent();
      await agent.signIn(short.url, 'bob');
      const signedInAt = Date.now();
      const seen: [number, string | null][] = [];
      while (Date.now() - signedInAt < 1800) {
        seen.push([Date.now() - signedInAt, await agent.whoAmI(short.url)]);
        await new Promise((r) => setTimeout(r, 150));
      }
      expect(seen.filter(([t]) => t < 1000).every(([, who]) => who === 'Bob Marley')).toBe(true);
      expect(seen.filter(([t]) => t > 1300).every(([, who]) => who === null)).toBe(true);
    } finally {
      await short.close();
    }
  });
});
