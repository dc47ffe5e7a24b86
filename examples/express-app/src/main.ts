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
 *   PORT            default 3000
 *   HOST            default all interfaces
 *   SESSION_SECRET  cookie signing secret; shared by every instance (a random one if unset)
 *   TRUST_PROXY     Express 'trust proxy' (e.g. 1) when behind a TLS-terminating proxy
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME): where sessions live;
 *                   none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST || undefined;

const secret = sessionSecretFromEnv();

function trustProxy(value: string | undefined): boolean | number | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

// Checked before Redis is connected (or an embedded one started): a bad key stops the app at once.
const encryptionKeys = encryptionKeysFromEnv();
const redis = await connectRedisOrExit();
const app = createApp({
  client: redis.client,
  secret,
  trustProxy: trustProxy(process.env.TRUST_PROXY),
  metrics: metricsFromEnv(),
  encryptionKeys,
});

// Express 5 hands a listen error (a port in use, say) to this callback as well as emitting it:
// exit once, after closing Redis, and never through an async listener whose promise the emitter
// would drop (a failed close would then be an unhandled rejection instead of this exit).
let failed = false;
function fail(error: Error): void {
  if (failed) return;
  failed = true;
  console.error(`Cannot start: ${listenErrorMessage(error, port, host)}`);
  const exit = () => process.exit(1);
  redis.close().then(exit, exit);
}

const server = app.listen(port, host as string, (error?: Error) => {
  if (error) return fail(error);
  const { port: actual } = server.address() as AddressInfo;
  console.log(`SessionKit Express example listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);
});
server.on('error', fail);

stopOnSignals(closeHttpServer(server), redis);
