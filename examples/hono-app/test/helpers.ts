import type { RedisOptions } from 'ioredis';
import { getRequestListener } from '@hono/node-server';
import { underBun, type TestRedis } from '@sessionkit/testing';
import { Agent as CookieJar } from '../../shared/test/agent.js';
import { listenOnLoopback } from '../../shared/test/app.js';
import { createApp, type AppOptions, type HonoApp } from '../src/app.js';

// What does not depend on the framework is in examples/shared/test.
export { expectRowsMatchStored, sessionRows, type SessionRow } from '../../shared/test/agent.js';
export { useRedis } from '@sessionkit/testing';

export const SECRET = 'hono example test secret';

/** The shared cookie jar, reading Hono's signed cookie: `sid` holds "<id>.<base64 HMAC-SHA256>". */
export class Agent extends CookieJar {
  protected override sessionIdOf(cookie: string): string {
    return cookie.slice(0, cookie.lastIndexOf('.'));
  }
}

export interface Served {
  url: string;
  app: HonoApp;
  store: HonoApp['sessionStore'];
  /** Stops serving; the Redis client stays open (it is the caller's). */
  close(): Promise<void>;
}

type BunServe = (options: { port: number; hostname: string; fetch: HonoApp['fetch'] }) => { port: number; stop(closeActive?: boolean): unknown };

/** The example app on `client`, on a loopback port of its own: Bun.serve under Bun, @hono/node-server's listener on Node. */
export async function serve(client: AppOptions['client'], options: Partial<AppOptions> = {}): Promise<Served> {
  const app = createApp({ client, secret: SECRET, ...options });
  const bunServe = (globalThis as { Bun?: { serve: BunServe } }).Bun?.serve;
  if (underBun && bunServe) {
    const server = bunServe({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
    return { url: `http://127.0.0.1:${server.port}`, app, store: app.sessionStore, close: async () => void (await server.stop(true)) };
  }
  const served = await listenOnLoopback(getRequestListener(app.fetch));
  return { url: served.url, app, store: app.sessionStore, close: served.close };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;

/**
 * One instance of the example app on a Redis connection of its own: on Node an ioredis client
 * (made with `clientOptions`); under Bun, Bun's RedisClient, except when `clientOptions` are
 * given (the 503 test's commandTimeout: Bun's client has no per-command timeout), then ioredis.
 */
export async function startInstance(redis: TestRedis, options: Partial<AppOptions> = {}, clientOptions?: RedisOptions) {
  const bun = underBun && clientOptions === undefined ? await redis.bun() : undefined;
  const ioredis = bun ? undefined : redis.client(clientOptions ?? {});
  const client = (bun ?? ioredis) as AppOptions['client'];
  const served = await serve(client, options);
  let stopped = false;
  return {
    ...served,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      await served.close();
      if (ioredis) await ioredis.quit().catch(() => ioredis.disconnect());
      else bun!.close();
    },
  };
}
