import { connectRedisOrExit, listenErrorMessage, metricsFromEnv, encryptionKeysFromEnv, sessionSecretFromEnv, stopOnSignals } from '@sessionkit/example-shared';
import { buildApp } from './app.js';

/**
 * Environment:
 *   PORT            default 3001
 *   HOST            default 0.0.0.0 (all interfaces)
 *   SESSION_SECRET  cookie signing secret, 32 characters or more; shared by every instance
 *                   (a random one if unset)
 *   TRUST_PROXY     Fastify `trustProxy` when behind a TLS-terminating proxy: the proxy's addresses
 *                   ("10.0.0.1,10.0.0.2", "loopback") or true; the session cookie then gets the
 *                   Secure flag and request.ip is the client's
 *   COOKIE_SECURE   'auto' (default: Secure over HTTPS only), 'true' or 'false'
 *   REDIS_URL | REDIS_CLUSTER_NODES | REDIS_SENTINELS (+ REDIS_SENTINEL_NAME): where sessions live;
 *                   none: an embedded redis-server (development only)
 *   METRICS         1: serve SessionKit's metrics on GET /metrics, Prometheus text (docs/observability.md)
 *   SESSION_ENCRYPTION_KEYS  comma-separated base64 32-byte keys (openssl rand -base64 32), current first:
 *                   sessions encrypted at rest (docs/operations.md); unset: stored in clear
 */
const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST || '0.0.0.0';

const secret = sessionSecretFromEnv();
if (secret.length < 32) {
  console.error('SESSION_SECRET must be at least 32 characters long (@fastify/session refuses shorter secrets).');
  process.exit(1);
}

function trustProxy(value: string | undefined): boolean | string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  // Fastify 5 ignores hop counts (it cannot check the peer): name the proxy's addresses instead.
  if (/^\d+$/.test(value)) console.warn('TRUST_PROXY: Fastify does not trust hop counts; give the proxy address(es), e.g. TRUST_PROXY=10.0.0.1 or loopback');
  return value;
}

function cookieSecure(value: string | undefined): boolean | 'auto' {
  if (value === 'true' || value === 'false') return value === 'true';
  if (value && value !== 'auto') console.warn(`COOKIE_SECURE=${value} is not auto/true/false: using auto`);
  return 'auto';
}

// Checked before Redis is connected (or an embedded one started): a bad key stops the app at once.
const encryptionKeys = encryptionKeysFromEnv();
const redis = await connectRedisOrExit();
const app = await buildApp({
  client: redis.client,
  secret,
  trustProxy: trustProxy(process.env.TRUST_PROXY),
  cookieSecure: cookieSecure(process.env.COOKIE_SECURE),
  logger: { level: process.env.LOG_LEVEL ?? 'warn' },
  metrics: metricsFromEnv(),
  encryptionKeys,
});

try {
  const address = await app.listen({ port, host });
  const actual = new URL(address).port;
  console.log(`SessionKit Fastify example listening on http://localhost:${actual} (sign in as alice or bob, password "password")`);
} catch (error) {
  console.error(`Cannot start: ${listenErrorMessage(error as Error, port, host)}`);
  await redis.close();
  process.exit(1);
}

stopOnSignals(() => app.close(), redis);
