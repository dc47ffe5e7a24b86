import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { RedisOptions } from 'ioredis';
import { SessionStore } from '@sessionkit/core';
import { listeningUrl, type TestRedis } from '@sessionkit/testing';
import { Agent as CookieJar } from '../../shared/test/agent.js';

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
