import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer } from '@sessionkit/testing';
import { redisClientOptions } from '../src/index.js';
import type { AgentClass } from './agent.js';

/**
 * Faults with an example app, real redis-server processes and real HTTP, using the client
 * settings docs/reliability.md recommends (examples/shared/src/redis.ts): commandTimeout 2000 ms,
 * maxRetriesPerRequest 1. "No hung request" is bounded generously at 5 s (2.5x the documented
 * 2 s); recovery at 10 s (documented: ~2 s after Redis is back).
 */
export const REQUEST_BOUND_MS = 5000;
const RECOVERY_BOUND_MS = 10_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fails each test of the file after which a promise rejection went unhandled. */
export function failOnUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await sleep(20);
    expect(unhandled).toEqual([]);
  });
}

/**
 * Keeps console.error's lines for the file instead of printing them: the Express, Koa and React
 * Router apps log one line per Redis failure, and these suites cause many.
 */
export function collectConsoleErrors(): string[] {
  const logged: string[] = [];
  const consoleError = console.error;
  beforeAll(() => {
    console.error = (...args: unknown[]) => void logged.push(args.map(String).join(' '));
  });
  afterAll(() => {
    console.error = consoleError;
  });
  return logged;
}

export async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await work;
  return [value, Date.now() - started];
}

/** Polls until `check` is true, at most `boundMs`; returns the time it took. */
async function until(check: () => Promise<boolean>, boundMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < boundMs) {
    if (await check().catch(() => false)) return Date.now() - started;
    await sleep(50);
  }
  throw new Error(`not true within ${boundMs} ms`);
}

/** What the fault suites need of an app: the framework glue, nothing else. */
export interface FaultTarget {
  /** "Express" or "Fastify", as the suite titles name the app. */
  framework: string;
  /** Serves the app on `client` on a loopback port; `close` stops serving and leaves the client open. */
  serve(client: Redis): Promise<{ url: string; close(): Promise<void> }>;
  /** The app's cookie jar (it knows how the session id sits in the app's signed cookie). */
  Agent: AgentClass;
}

interface Running {
  url: string;
  stop(): Promise<void>;
}

/**
 * Defines the fault suites for one app: Redis stopped under load, paused (slow), and restarted
 * with and without persistence. Call it once, at the top level of the app's faults.test.ts.
 */
export function defineFaultSuites({ framework, serve, Agent }: FaultTarget): void {
  failOnUnhandledRejections();

  /** The app on its own client with the recommended settings, on a loopback port. */
  async function startApp(redis: RedisServer): Promise<Running> {
    const client = new Redis({ ...redisClientOptions, host: redis.host, port: redis.port });
    client.on('error', () => {}); // connectRedis logs these in the real app; expected here
    await client.ping();
    const app = await serve(client);
    return {
      url: app.url,
      async stop() {
        await app.close();
        client.disconnect();
      },
    };
  }

  /**
   * A redis-server for the enclosing describe block alone, with the app on it, both started
   * before its tests; the returned function gives them to a test.
   */
  function useAppOnOwnRedis(): () => { redis: RedisServer; app: Running } {
    const redis = new RedisServer();
    let app: Running | undefined;
    beforeAll(async () => {
      await redis.start();
      app = await startApp(redis);
    });
    afterAll(async () => {
      redis.resume(); // in case a test left it paused (SIGSTOP)
      await app?.stop();
      await redis.dispose();
    });
    return () => ({ redis, app: app! });
  }

  describe(`example ${framework} app: Redis stopped under load`, () => {
    const started = useAppOnOwnRedis();

    it('fails fast with 503 (no hung request, no crash), /health stays up, and recovers by itself when Redis is back on the same port', async () => {
      const { redis, app } = started();
      const agents = Array.from({ length: 8 }, () => new Agent());
      for (const [i, agent] of agents.entries()) await agent.signIn(app.url, i % 2 ? 'bob' : 'alice');

      // Bounded load: 8 workers, at most 400 requests each, until told to stop.
      const seen: { status: number; ms: number; phase: string }[] = [];
      let phase = 'before';
      let stop = false;
      const workers = agents.map(async (agent) => {
        for (let n = 0; n < 400 && !stop; n++) {
          const started = Date.now();
          const res = await agent.get(`${app.url}/`);
          seen.push({ status: res.status, ms: Date.now() - started, phase });
          await sleep(5);
        }
      });
      await sleep(300);
      phase = 'down';
      await redis.stop('SIGKILL');
      await sleep(1500);
      const [health, healthMs] = await timed(fetch(`${app.url}/health`).then((r) => r.status));
      expect(health).toBe(200);
      expect(healthMs).toBeLessThan(REQUEST_BOUND_MS);
      // A page that needs no session (the sign-in form, no cookie) is served too.
      expect((await new Agent().get(`${app.url}/login`)).status).toBe(200);

      await redis.start(); // same port, no persistence: the sessions are gone
      phase = 'back';
      const probe = new Agent();
      const recoveryMs = await until(
        async () => (await probe.post(`${app.url}/login`, { username: 'alice', password: 'password' })).status === 303,
        RECOVERY_BOUND_MS,
      );
      stop = true;
      await Promise.all(workers);

      expect(recoveryMs).toBeLessThan(RECOVERY_BOUND_MS);
      expect(seen.filter((s) => s.phase === 'before').every((s) => s.status === 200)).toBe(true);
      const down = seen.filter((s) => s.phase === 'down');
      expect(down.length).toBeGreaterThan(0);
      expect(down.some((s) => s.status === 503)).toBe(true);
      // Only "unavailable", "signed in" or "please sign in": never a 500, never a hang.
      expect(seen.filter((s) => ![200, 303, 503].includes(s.status))).toEqual([]);
      expect(Math.max(...seen.map((s) => s.ms))).toBeLessThan(REQUEST_BOUND_MS);
      // Without persistence every session is gone: signed out cleanly, and signing in works again.
      for (const agent of agents) expect(await agent.whoAmI(app.url)).toBeNull();
      await agents[0]!.signIn(app.url, 'alice');
      expect(await agents[0]!.whoAmI(app.url)).toBe('Alice Liddell');
    });
  });

  describe(`example ${framework} app: slow Redis (process paused with SIGSTOP)`, () => {
    const started = useAppOnOwnRedis();

    it('commandTimeout fires: a page that needs the session answers 503 within the bound; /health and the sign-in form stay responsive', async () => {
      const { redis, app } = started();
      const agent = new Agent();
      await agent.signIn(app.url, 'alice');
      redis.pause();
      let page: Awaited<ReturnType<typeof agent.get>>;
      let pageMs: number;
      let healthMs: number;
      let health: { status: string; redis: string };
      let form: number;
      try {
        const pending = timed(agent.get(`${app.url}/`));
        [health, healthMs] = await timed(fetch(`${app.url}/health`).then((r) => r.json() as Promise<{ status: string; redis: string }>));
        form = (await new Agent().get(`${app.url}/login`)).status;
        [page, pageMs] = await pending;
      } finally {
        redis.resume();
      }
      expect(page.status).toBe(503);
      expect(page.text).toContain('Sessions unavailable');
      expect(pageMs).toBeGreaterThanOrEqual(redisClientOptions.commandTimeout - 100); // the timeout fired, not something else
      expect(pageMs).toBeLessThan(REQUEST_BOUND_MS);
      expect(health).toEqual({ status: 'ok', redis: 'ready' });
      expect(healthMs).toBeLessThan(1000);
      expect(form).toBe(200);
      // Redis answers again: the same session is still there.
      expect(await agent.whoAmI(app.url)).toBe('Alice Liddell');
    });
  });

  describe(`example ${framework} app: Redis restarts`, () => {
    /** Signs in a few browsers as alice and bob, restarts Redis with `restart`, and reads them back. */
    async function restartWith(redis: RedisServer, restart: () => Promise<void>) {
      const app = await startApp(redis);
      try {
        const browsers = Array.from({ length: 6 }, (_, i) => ({ agent: new Agent(), user: i % 2 ? 'bob' : 'alice' }));
        for (const b of browsers) await b.agent.signIn(app.url, b.user);
        const cookiesBefore = browsers.map((b) => ({ cookie: b.agent.cookies.get('sid')!, sid: b.agent.sid! }));
        await restart();
        // Recovered: the health route sees a ready client and a fresh sign-in works.
        await until(async () => (await new Agent().post(`${app.url}/login`, { username: 'bob', password: 'password' })).status === 303, RECOVERY_BOUND_MS);
        const after: (string | null)[] = [];
        for (const b of browsers) after.push(await b.agent.whoAmI(app.url));
        return { browsers, after, app, cookiesBefore };
      } catch (error) {
        await app.stop();
        throw error;
      }
    }

    /** Runs `restartWith` with `crash` (which kills Redis and starts it again): every browser is still signed in as itself. Disposes of `redis`. */
    async function expectSessionsSurvive(redis: RedisServer, crash: () => Promise<void>) {
      try {
        const { browsers, after, app } = await restartWith(redis, crash);
        expect(after).toEqual(browsers.map((b) => (b.user === 'bob' ? 'Bob Marley' : 'Alice Liddell')));
        await app.stop();
      } finally {
        await redis.dispose();
      }
    }

    /** A crash: SIGKILL, then the same server started again (same port, same data directory). */
    async function killAndStart(redis: RedisServer) {
      await redis.stop('SIGKILL');
      await redis.start();
    }

    it('with appendonly yes + appendfsync always, sessions written before a crash (SIGKILL) survive', async () => {
      const redis = await new RedisServer({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] }).start();
      await expectSessionsSurvive(redis, () => killAndStart(redis));
    });

    it('with RDB only, sessions saved (SAVE) before a crash survive', async () => {
      const redis = await new RedisServer().start();
      await expectSessionsSurvive(redis, async () => {
        const admin = new Redis({ host: redis.host, port: redis.port });
        await admin.save();
        admin.disconnect();
        await killAndStart(redis);
      });
    });

    it('without persistence, everyone is signed out cleanly (sign-in page, new session on sign-in), never handed another session', async () => {
      const redis = await new RedisServer().start();
      try {
        const { browsers, after, app, cookiesBefore } = await restartWith(redis, () => redis.restart());
        expect(after).toEqual(browsers.map(() => null));
        for (const { cookie } of cookiesBefore) {
          const res = await fetch(`${app.url}/`, { headers: { cookie: `sid=${cookie}` }, redirect: 'manual' });
          expect(res.status).toBe(303);
          expect(res.headers.get('location')).toBe('/login?notice=expired');
        }
        // Signing in again gives a new id; an old cookie never reaches anyone's new session.
        const old = new Agent();
        old.cookies.set('sid', cookiesBefore[0]!.cookie);
        const oldId = cookiesBefore[0]!.sid;
        await browsers[1]!.agent.signIn(app.url, 'bob');
        await browsers[0]!.agent.signIn(app.url, 'alice');
        expect(browsers[0]!.agent.sid).not.toBe(oldId);
        expect(await old.whoAmI(app.url)).toBeNull();
        expect(await browsers[0]!.agent.whoAmI(app.url)).toBe('Alice Liddell');
        expect(await browsers[1]!.agent.whoAmI(app.url)).toBe('Bob Marley');
        await app.stop();
      } finally {
        await redis.dispose();
      }
    });
  });
}
