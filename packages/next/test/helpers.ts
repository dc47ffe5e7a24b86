import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { HttpClient, listeningUrl, type TestRedis } from '@sessionkit/testing';

export const SECRET = 'next test secret';
export const PREVIOUS_SECRET = 'previous next test secret';

/** The `sid` cookie's value for `id`, as the adapter signs it: "<id>.<base64url HMAC-SHA256>". */
export const signed = (id: string, secret = SECRET) => `${id}.${createHmac('sha256', secret).update(id).digest('base64url')}`;

/** A cookie jar that knows where the session id sits in the `sid` cookie. */
export class Browser extends HttpClient {
  get sid(): string | undefined {
    const value = this.cookies.get('sid');
    return value ? decodeURIComponent(value).slice(0, decodeURIComponent(value).lastIndexOf('.')) : undefined;
  }

  /** A page (HTML), as text. */
  async page(path: string): Promise<{ status: number; text: string; setCookie: string[] }> {
    const { status, json } = await this.get(path);
    return { status, text: String(json), setCookie: this.lastSetCookie };
  }
}

/** Signs `user` in on a new Browser. */
export async function signIn(url: string, user: string): Promise<Browser> {
  const browser = new Browser(url);
  const { status } = await browser.post(`/login/${user}`);
  if (status !== 200) throw new Error(`sign-in as ${user}: ${status}`);
  return browser;
}

const server = fileURLToPath(new URL('./fixture/server.mjs', import.meta.url));
const running = new Set<ChildProcess>();

/** The test app (built by global-setup.ts) on Next's production server, in a process of its own, on the file's Redis. */
export async function startApp(redis: TestRedis, env: Record<string, string> = {}): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [server], {
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1', REDIS_URL: `redis://${redis.server.host}:${redis.server.port}`, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const url = await listeningUrl(child, 'the test app');
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      running.delete(child);
    },
  };
}

/**
 * The Redis commands the server ran during `work`, by name and count, from INFO commandstats
 * (every client's: run it while nothing else talks to this Redis). INFO itself is left out.
 */
export async function commandsDuring(client: Redis, work: () => Promise<unknown>): Promise<Record<string, number>> {
  const stats = async () => {
    const counts: Record<string, number> = {};
    for (const [, name, calls] of (await client.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
      if (name !== 'info') counts[name!] = Number(calls);
    }
    return counts;
  };
  const before = await stats();
  await work();
  const after = await stats();
  const ran: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) if (calls !== (before[name] ?? 0)) ran[name] = calls - (before[name] ?? 0);
  return ran;
}
