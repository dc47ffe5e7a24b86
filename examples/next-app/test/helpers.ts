import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RedisOptions } from 'ioredis';
import type { AddressInfo } from 'node:net';
import { type RedisClient, SessionStore } from '@sessionkit/core';
import { listeningUrl, type TestRedis } from '@sessionkit/testing';
import { Agent as CookieJar } from '../../shared/test/agent.js';
import { serve } from '../src/server.js';

export { useRedis } from '@sessionkit/testing';

export const SECRET = 'next example test secret';
const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The `sid` cookie holds "<id>.<signature>" (HMAC-SHA256, base64url). */
export class Agent extends CookieJar {
  protected override sessionIdOf(cookie: string): string {
    return cookie.slice(0, cookie.lastIndexOf('.'));
  }
}

/**
 * The production build, as `npm run example:next` makes it: rebuilt only when a source changed
 * since (scripts/build-changed.mjs), so a run after `npm run build` only checks. Call in beforeAll.
 */
export function buildApp(): void {
  const result = spawnSync(process.execPath, ['scripts/build-changed.mjs', 'examples/next-app'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building the Next example failed:\n${result.stdout}\n${result.stderr}`);
}

/** One instance of the example app in a process of its own (test/instance.ts), on the file's Redis. */
export async function startInstance(redis: TestRedis, env: Record<string, string> = {}, clientOptions: RedisOptions = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/next-app/test/instance.ts'], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      REDIS_URL: `redis://${redis.server.host}:${redis.server.port}`,
      SESSION_SECRET: SECRET,
      SESSIONKIT_TEST_CLIENT_OPTIONS: JSON.stringify(clientOptions),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const url = await listeningUrl(child, 'the Next example');
  // The store as the app has it (same Redis, same default prefix), for what the suites check.
  const client = redis.client();
  const store = new SessionStore({ client });
  return {
    url,
    store,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * The example served in this process (src/server.ts, as main.ts runs it) on `client`, on a
 * loopback port: for the suites that watch the app's own store (its events, the ids it loads) or
 * run several differently-configured instances at once. `close` stops serving; the client stays
 * open (it is the caller's). Call buildApp first.
 */
export async function serveHere(client: RedisClient, options: { absoluteTimeout?: number } = {}) {
  const { server, sessionKit } = await serve({ client, secrets: [SECRET], port: 0, host: '127.0.0.1', ...options });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sessionKit,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
