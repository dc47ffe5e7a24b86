import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AddressInfo, createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, portAccepts, readRecordData, RedisServer, useRedisTls, sessionKey } from '@sessionkit/testing';
import type { AgentClass } from './agent.js';
import { processExists, runToExit, useEntryPoint } from './entry-point.js';

export interface EntryPointTarget {
  /** The entry point, from the repository root: `examples/<app>/src/main.ts`. */
  main: string;
  /** SESSION_SECRET for the process (the Fastify app wants 32+ characters). */
  sessionSecret: string;
  /** The app's cookie jar (it knows how the session id sits in the app's signed cookie). */
  Agent: AgentClass;
  /**
   * Also start it with a REDIS_URL nothing answers: it waits the full 10 s for Redis first, so
   * one app runs it (every app shares connectRedisOrExit from examples/shared).
   */
  redisDown?: boolean;
}

/**
 * Defines the tests of an app's real entry point (`npm run example:*` as the README gives it),
 * run in its own process: with an embedded redis-server and with REDIS_URL. Call it once, at the
 * top level of the app's main.test.ts.
 */
export function defineEntryPointSuites({ main: mainPath, sessionSecret, Agent, redisDown = false }: EntryPointTarget): void {
  const startMain = useEntryPoint(mainPath);

  describe(mainPath, () => {
    it('without REDIS_*: embeds a redis-server, serves sign-in on PORT, and on SIGTERM exits 0 and stops that redis-server', async () => {
      const port = await freePort();
      const main = await startMain({ PORT: String(port), SESSION_SECRET: sessionSecret });
      expect(main.url).toBe(`http://localhost:${port}`);
      const redis = main.embedded;
      expect(redis, main.output()).toBeDefined();
      expect(processExists(redis!.pid)).toBe(true);

      const agent = new Agent();
      await agent.signIn(main.url, 'alice');
      expect(await agent.whoAmI(main.url)).toBe('Alice Liddell');

      expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      expect(main.output()).toContain('SIGTERM: shutting down');
      expect(processExists(redis!.pid)).toBe(false);
      expect(await portAccepts(redis!.port)).toBe(false);
      expect(existsSync(redis!.dir)).toBe(false);
      expect(await portAccepts(port)).toBe(false);
    });

    it('without REDIS_* and no redis-server to embed: exits 1 with one line that says to set REDIS_URL or install redis-server', async () => {
      // A PATH with no redis-server on it, as on a machine without Redis (node itself is started by its full path).
      const ended = await runToExit(mainPath, { PORT: String(await freePort()), SESSION_SECRET: sessionSecret, PATH: join(tmpdir(), 'no-redis-server-here') });
      expect(ended.code, ended.stderr).toBe(1);
      expect(ended.stderr.trimEnd()).toBe(
        'Cannot start: no REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set, and no redis-server could be started to embed (none on PATH). ' +
          'Set REDIS_URL=redis://host:6379 to use your own Redis, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).',
      );
    });

    if (redisDown)
      it('with a REDIS_URL where no Redis answers: exits 1 with one line naming REDIS_URL and the error', async () => {
        const redisPort = await freePort();
        const ended = await runToExit(mainPath, { PORT: String(await freePort()), SESSION_SECRET: sessionSecret, REDIS_URL: `redis://127.0.0.1:${redisPort}` });
        expect(ended.code, ended.stderr).toBe(1);
        expect(ended.stderr.trimEnd()).toBe(
          `Cannot start: Redis at redis://127.0.0.1:${redisPort} (REDIS_URL) was not ready within 10000 ms: connect ECONNREFUSED 127.0.0.1:${redisPort}. ` +
            'Check that it runs and that the address is right.',
        );
      });

    describe('with REDIS_URL', () => {
      const server = new RedisServer();
      let client: Redis;
      beforeAll(async () => {
        await server.start();
        client = new Redis({ host: server.host, port: server.port });
      });
      afterAll(async () => {
        await client?.quit().catch(() => client.disconnect());
        await server.dispose();
      });

      it('stores sessions in that Redis, starts none of its own, and leaves it running on exit', async () => {
        const port = await freePort();
        const main = await startMain({ PORT: String(port), SESSION_SECRET: sessionSecret, REDIS_URL: server.url });
        expect(main.embedded).toBeUndefined();
        expect(main.output()).toContain(`Redis: ${server.url} (REDIS_URL)`);

        const agent = new Agent();
        await agent.signIn(main.url, 'bob');
        expect(await agent.whoAmI(main.url)).toBe('Bob Marley');
        // The session hash: `d` the session data (docs/data-model.md).
        expect(JSON.parse(await readRecordData(client, sessionKey(agent.sid!)))).toMatchObject({ userId: 'user-bob' });

        expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        expect(await client.exists(sessionKey(agent.sid!))).toBe(1);
      });

      it('on a port already in use: exits 1 with one line that names PORT and what to do', async () => {
        const busy = createServer();
        await new Promise<void>((resolve) => busy.listen(0, resolve));
        try {
          const { port } = busy.address() as AddressInfo;
          const ended = await runToExit(mainPath, { PORT: String(port), SESSION_SECRET: sessionSecret, REDIS_URL: server.url });
          expect(ended.code, ended.stderr).toBe(1);
          expect(ended.stderr.trimEnd()).toBe(
            `Cannot start: port ${port} is in use (EADDRINUSE): stop what listens on it, or set PORT to a free port (e.g. PORT=${port + 10}).`,
          );
          // It had connected to Redis first, and closed that connection on the way out.
          expect(ended.stdout).toContain(`Redis: ${server.url} (REDIS_URL)`);
        } finally {
          await new Promise((resolve) => busy.close(resolve));
        }
      });

      it('with REDIS_CLIENT=node-redis: the same, on a node-redis client', async () => {
        const port = await freePort();
        const main = await startMain({ PORT: String(port), SESSION_SECRET: sessionSecret, REDIS_URL: server.url, REDIS_CLIENT: 'node-redis' });
        expect(main.output()).toContain(`Redis: ${server.url} (REDIS_URL, node-redis)`);
        const agent = new Agent();
        await agent.signIn(main.url, 'alice');
        expect(await agent.whoAmI(main.url)).toBe('Alice Liddell');
        expect(JSON.parse(await readRecordData(client, sessionKey(agent.sid!)))).toMatchObject({ userId: 'user-alice' });
        const health = (await (await fetch(`${main.url}/health`)).json()) as { redis: string };
        expect(health.redis).toBe('ready');
        expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
        expect(await client.exists(sessionKey(agent.sid!))).toBe(1);
      });
    });

    describe('with a rediss:// REDIS_URL (TLS)', () => {
      const tls = useRedisTls();

      it('connects over TLS, trusting the CA given in NODE_EXTRA_CA_CERTS, and stores sessions there', async () => {
        const port = await freePort();
        const main = await startMain({ PORT: String(port), SESSION_SECRET: sessionSecret, REDIS_URL: tls.url, NODE_EXTRA_CA_CERTS: tls.files.caFile });
        expect(main.embedded).toBeUndefined();
        expect(main.output()).toContain(`Redis: ${tls.url} (REDIS_URL)`);

        const agent = new Agent();
        await agent.signIn(main.url, 'alice');
        expect(await agent.whoAmI(main.url)).toBe('Alice Liddell');
        expect(JSON.parse(await readRecordData(tls.client(), sessionKey(agent.sid!)))).toMatchObject({ userId: 'user-alice' });
        expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      });

      it('with REDIS_CLIENT=node-redis: the same over TLS on a node-redis client', async () => {
        const port = await freePort();
        const env = {
          PORT: String(port),
          SESSION_SECRET: sessionSecret,
          REDIS_URL: tls.url,
          NODE_EXTRA_CA_CERTS: tls.files.caFile,
          REDIS_CLIENT: 'node-redis',
        };
        const main = await startMain(env);
        expect(main.output()).toContain(`Redis: ${tls.url} (REDIS_URL, node-redis)`);
        const agent = new Agent();
        await agent.signIn(main.url, 'bob');
        expect(await agent.whoAmI(main.url)).toBe('Bob Marley');
        expect(JSON.parse(await readRecordData(tls.client(), sessionKey(agent.sid!)))).toMatchObject({ userId: 'user-bob' });
        expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
      });
    });
  });
}
