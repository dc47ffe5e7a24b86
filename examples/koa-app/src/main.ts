import type { AddressInfo } from 'node:net';
import {
  closeHttpServer,
  connectRedisOrExit,
  listenErrorMessage,
  metricsFromEnv,
  encryptionKeysFromEnv,
  sessionSecretFromEnv,
  stopOnSignals,
} from '@sessionkit/example-shared';
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
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3002);
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

stopOnSignals(closeHttpServer(server), redis);
