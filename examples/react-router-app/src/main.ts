import { createServer } from 'node:http';
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
 *   PORT            default 3003
 *   HOST            default all interfaces
 *   SESSION_SECRET  cookie signing secret; shared by every instance (a random one if unset)
 *   TRUST_PROXY     true (or 1) when behind a TLS-terminating proxy: X-Forwarded-Proto/-For are believed
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME): where sessions live;
 *                   none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3003);
const host = process.env.HOST || undefined;

const secret = sessionSecretFromEnv();

// Checked before Redis is connected (or an embedded one started): a bad key stops the app at once.
const encryptionKeys = encryptionKeysFromEnv();
const redis = await connectRedisOrExit();
const trustProxy = ['1', 'true'].includes(process.env.TRUST_PROXY ?? '');
const app = createApp({ client: redis.client, secret, trustProxy, metrics: metricsFromEnv(), encryptionKeys });

const server = createServer(app.listener);
server.listen(port, host, () => {
  const { port: actual } = server.address() as AddressInfo;
  console.log(`SessionKit React Router example listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);
});
// A listen error (a port in use, say) ends the start: one line, then exit once Redis is closed.
// Not an async listener: the emitter would drop its promise (see CONTRIBUTING.md).
server.on('error', (error) => {
  console.error(`Cannot start: ${listenErrorMessage(error, port, host)}`);
  const exit = () => process.exit(1);
  redis.close().then(exit, exit);
});

stopOnSignals(closeHttpServer(server), redis);
