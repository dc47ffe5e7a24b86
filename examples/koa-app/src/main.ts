import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { connectRedisOrExit, listenErrorMessage, metricsFromEnv } from '@sessionkit/example-shared';
import { createApp } from './app.js';

/**
 * Environment:
 *   PORT            default 3002
 *   HOST            default all interfaces
 *   SESSION_SECRET  cookie signing key (Koa's app.keys; comma-separated for rotation, the first
 *                   signs); shared by every instance (a random one if unset)
 *   TRUST_PROXY     'true' behind a TLS-terminating proxy (Koa's app.proxy)
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME): where sessions live;
 *                   none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 */
const port = Number(process.env.PORT ?? 3002);
const host = process.env.HOST || undefined;

let secret: string[];
if (process.env.SESSION_SECRET) {
  secret = process.env.SESSION_SECRET.split(',').filter(Boolean);
} else {
  secret = [randomBytes(32).toString('hex')];
  console.warn(
    'SESSION_SECRET is not set: using a random one. Sessions will not survive a restart, and other\n' +
      "instances (with their own random secret) will not accept this one's cookies. Set SESSION_SECRET.",
  );
}

const redis = await connectRedisOrExit();
const app = createApp({ client: redis.client, secret, trustProxy: process.env.TRUST_PROXY === 'true', metrics: metricsFromEnv() });

const server = app.listen(port, host, () => {
  const { port: actual } = server.address() as AddressInfo;
  console.log(`SessionKit Koa example listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);
});
// A listen error (a port in use, say) ends the start: one line, then exit once Redis is closed.
// Not an async listener: the emitter would drop its promise (see CONTRIBUTING.md).
server.on('error', (error) => {
  console.error(`Cannot start: ${listenErrorMessage(error, port, host)}`);
  const exit = () => process.exit(1);
  redis.close().then(exit, exit);
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: shutting down`);
  setTimeout(() => process.exit(1), 5000).unref(); // keep-alive clients must not hold us up
  server.closeIdleConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await redis.close();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
