import { createAdaptorServer } from '@hono/node-server';
import { connectRedisOrExit, listenErrorMessage, metricsFromEnv, encryptionKeysFromEnv, sessionSecretFromEnv, stopOnSignals } from '@sessionkit/example-shared';
import { createApp } from './app.js';

/**
 * `npm run example:hono` (Node, @hono/node-server) or `npm run example:hono:bun` (Bun.serve, with
 * REDIS_CLIENT=bun: Bun's own RedisClient). Environment:
 *   PORT            default 3004
 *   HOST            default all interfaces
 *   SESSION_SECRET  cookie signing secret (comma-separated for rotation, the first signs); shared
 *                   by every instance (a random one if unset)
 *   TRUST_PROXY     'true' behind a TLS-terminating proxy
 *   REDIS_CLIENT    ioredis (default), node-redis, or bun (on Bun only; single node)
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME): where sessions live;
 *                   none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3004);
const host = process.env.HOST || undefined;

// Several secrets, comma-separated: the first signs, all verify (rotation).
const secret = sessionSecretFromEnv().split(',').filter(Boolean);

// Checked before Redis is connected (or an embedded one started): a bad key stops the app at once.
const encryptionKeys = encryptionKeysFromEnv();
const redis = await connectRedisOrExit();
const app = createApp({
  client: redis.client,
  secret,
  trustProxy: process.env.TRUST_PROXY === 'true',
  metrics: metricsFromEnv(),
  encryptionKeys,
});
const runtime = process.versions.bun ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
const listening = (actual: number) =>
  console.log(`SessionKit Hono example (${runtime}) listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);
const cannotListen = (error: Error) => {
  console.error(`Cannot start: ${listenErrorMessage(error, port, host)}`);
  const exit = () => process.exit(1);
  redis.close().then(exit, exit);
};

type BunServe = (options: { port: number; hostname?: string; fetch: typeof app.fetch }) => { port: number; stop(closeActive?: boolean): Promise<void> | void };
const bunServe = (globalThis as { Bun?: { serve: BunServe } }).Bun?.serve;

let stopServer: () => Promise<void>;
if (bunServe) {
  // Bun: its own server, handing each request to Hono's fetch (with the server as `c.env`, for the peer's address).
  let server: ReturnType<BunServe>;
  try {
    server = bunServe({ port, ...(host ? { hostname: host } : {}), fetch: app.fetch });
  } catch (error) {
    cannotListen(error as Error);
    await new Promise(() => {}); // cannotListen exits once Redis is closed
    throw error;
  }
  listening(server.port);
  stopServer = async () => {
    await server.stop(true);
  };
} else {
  // Node: @hono/node-server's adaptor, a node:http server.
  const server = createAdaptorServer({ fetch: app.fetch });
  server.listen(port, host, () => {
    const address = server.address();
    listening(typeof address === 'object' && address ? address.port : port);
  });
  // Not an async listener: the emitter would drop its promise (see CONTRIBUTING.md).
  server.on('error', cannotListen);
  stopServer = () =>
    new Promise<void>((resolve) => {
      (server as import('node:http').Server).closeIdleConnections();
      server.close(() => resolve());
    });
}

stopOnSignals(() => stopServer(), redis);
