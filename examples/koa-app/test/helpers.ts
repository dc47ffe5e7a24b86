import type { Server } from 'node:http';
import type { RedisOptions } from 'ioredis';
import { Agent as CookieJar } from '../../shared/test/agent.js';
import { instanceOn, listenOnLoopback } from '../../shared/test/app.js';
import type { TestRedis } from '@sessionkit/testing';
import { createApp, type AppOptions, type KoaApp } from '../src/app.js';

// What does not depend on the framework is in examples/shared/test.
export { expectRowsMatchStored, sessionRows, type SessionRow } from '../../shared/test/agent.js';
export { useRedis } from '@sessionkit/testing';

export const SECRET = 'koa example test secret';

/**
 * The shared cookie jar, reading koa-session's cookie: the `sid` cookie holds the session id
 * itself, and `sid.sig` its signature (Keygrip over "sid=<id>").
 */
export class Agent extends CookieJar {
  protected override sessionIdOf(cookie: string): string {
    return cookie;
  }
}

export interface Served {
  url: string;
  app: KoaApp;
  server: Server;
  store: KoaApp['sessionStore'];
  /** Stops serving; the Redis client stays open (it is the caller's). */
  close(): Promise<void>;
}

/** The example app on `client`, listening on a loopback port of its own. */
export async function serve(client: AppOptions['client'], options: Partial<AppOptions> = {}): Promise<Served> {
  const app = createApp({ client, secret: SECRET, ...options });
  return { ...(await listenOnLoopback(app.callback())), app, store: app.sessionStore };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;

/** One instance of the example app: its own Redis connection, its own HTTP port. */
export function startInstance(redis: TestRedis, options: Partial<AppOptions> = {}, clientOptions: RedisOptions = {}) {
  return instanceOn(redis.client(clientOptions), (client) => serve(client, options));
}
