import type { FastifyInstance } from 'fastify';
import type { RedisOptions } from 'ioredis';
import type { RedisStore } from '@sessionkit/fastify';
import { Agent as CookieJar } from '../../shared/test/agent.js';
import { instanceOn } from '../../shared/test/app.js';
import type { TestRedis } from '@sessionkit/testing';
import { buildApp, type AppOptions } from '../src/app.js';

// What does not depend on the framework is in examples/shared/test.
export { expectRowsMatchStored, sessionRows, type SessionRow } from '../../shared/test/agent.js';
export { useRedis } from '@sessionkit/testing';

export const SECRET = 'fastify example test secret, 32+ characters long';

/** The shared cookie jar, reading @fastify/session's signed cookie: "<id>.<signature>", no prefix. */
export class Agent extends CookieJar {
  protected override sessionIdOf(cookie: string): string {
    return cookie.slice(0, cookie.lastIndexOf('.'));
  }
}

export interface Served {
  url: string;
  app: FastifyInstance;
  store: RedisStore;
  /** Stops serving; the Redis client stays open (it is the caller's). */
  close(): Promise<void>;
}

/** The example app on `client`, listening on a loopback port of its own. */
export async function serve(client: AppOptions['client'], options: Partial<AppOptions> = {}): Promise<Served> {
  const app = await buildApp({ client, secret: SECRET, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`,
    app,
    store: app.sessionStore,
    close: () => app.close(),
  };
}

export type Instance = Awaited<ReturnType<typeof startInstance>>;

/** One instance of the example app: its own Redis connection, its own HTTP port. */
export function startInstance(redis: TestRedis, options: Partial<AppOptions> = {}, clientOptions: RedisOptions = {}) {
  return instanceOn(redis.client(clientOptions), (client) => serve(client, options));
}
