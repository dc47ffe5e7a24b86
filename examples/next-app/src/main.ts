import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  closeHttpServer,
  connectRedisOrExit,
  encryptionKeysFromEnv,
  listenErrorMessage,
  metricsFromEnv,
  sessionSecretFromEnv,
  stopOnSignals,
} from '@sessionkit/example-shared';
import { serve } from './server.js';

/**
 * `npm run example:next`: builds the app for production when its sources changed (`next build`,
 * through scripts/build-changed.mjs), then this serves it.
 *
 * Environment:
 *   PORT            default 3005
 *   HOST            default all interfaces
 *   SESSION_SECRET  cookie signing key (comma-separated for rotation, the first signs); shared by
 *                   every instance (a random one if unset)
 *   TRUST_PROXY     'true' behind a TLS-terminating proxy (X-Forwarded-Proto and -For)
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME), REDIS_CLIENT:
 *                   where sessions live; none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3005);
const host = process.env.HOST || undefined;
process.env.NEXT_TELEMETRY_DISABLED ??= '1';

// Several secrets, comma-separated: the first signs, all verify (rotation).
const secrets = sessionSecretFromEnv().split(',').filter(Boolean);
// Checked before Redis is connected: a malformed key exits 1 (naming its place, never its value)
// with nothing yet to close.
const encryptionKeys = encryptionKeysFromEnv();

const redis = await connectRedisOrExit();
let server: Server;
try {
  ({ server } = await serve({
    client: redis.client,
    secrets,
    trustProxy: process.env.TRUST_PROXY === 'true',
    port,
    host,
    metrics: metricsFromEnv(),
    encryptionKeys,
  }));
} catch (error) {
  // A listen error (a port in use, say) ends the start: one line, then exit once Redis is closed.
  console.error(`Cannot start: ${listenErrorMessage(error as Error, port, host)}`);
  await redis.close().catch(() => {});
  process.exit(1);
}
const { port: actual } = server.address() as AddressInfo;
console.log(`SessionKit Next.js example listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);

stopOnSignals(closeHttpServer(server), redis);
