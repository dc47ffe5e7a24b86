import { SUPPORTED_CLIENTS, type RedisClient } from './client/index.js';
import { SessionKitError } from './errors.js';
import { checkStoreOptions } from './option-checks.js';
import { safeJsonSerializer, type Serializer } from './serializer.js';

export type SessionLimitPolicy = 'evict-oldest' | 'reject';

export interface SessionStoreOptions {
  /** The Redis client: ioredis (or iovalkey) `Redis`/`Cluster`, or a connected node-redis client (`createClient`, `createCluster`, `createSentinel`). Required. */
  client: RedisClient;
  /** Prefix of session keys. Default `'sess:'` (connect-redis's, so its sessions stay readable). */
  prefix?: string;
  /** Prefix of per-user index keys. Default `'idx:' + prefix`. Neither prefix may start with the other. */
  indexPrefix?: string;
  /** Idle timeout in ms, used when a call passes no `ttl`. Default 86 400 000 (1 day). */
  ttl?: number;
  /** Absolute timeout in ms from creation; no extension goes past it. Default 0 (off). */
  absoluteTimeout?: number;
  /** Live sessions one user may hold. Default 0 (no cap). */
  maxSessionsPerUser?: number;
  /** What a write beyond the cap does. Default `'evict-oldest'`: the sessions closest to expiry go. */
  sessionLimitPolicy?: SessionLimitPolicy;
  /** Turns session data into a string and back. Default: JSON that drops `__proto__`/`constructor`/`prototype` keys. */
  serializer?: Serializer;
  /** Largest serialized session accepted, in bytes. Default 1 048 576 (1 MiB). */
  maxPayloadBytes?: number;
  /** How long a destroyed or revoked id stays a tombstone that refuses writes, in ms. Default 60 000; 0 deletes outright. */
  revokedTtl?: number;
  /** Sessions revoked per Lua call in logout-everywhere, which bounds how long Redis blocks. Default 500. */
  revokeChunkSize?: number;
  /** COUNT hint for SCAN in ids/all/length/clear. Default 100. */
  scanCount?: number;
}

// The option names, one line each. `satisfies Record<keyof ..., true>` makes tsc fail when a name
// is added to (or removed from) the options interface and not here, so the list cannot drift.
export const storeOptionNames = Object.keys({
  client: true,
  prefix: true,
  indexPrefix: true,
  ttl: true,
  absoluteTimeout: true,
  maxSessionsPerUser: true,
  sessionLimitPolicy: true,
  serializer: true,
  maxPayloadBytes: true,
  revokedTtl: true,
  revokeChunkSize: true,
  scanCount: true,
} satisfies Record<keyof SessionStoreOptions, true>);

export interface ResolvedOptions {
  client: RedisClient;
  prefix: string;
  indexPrefix: string;
  ttl: number;
  absoluteTimeout: number;
  maxSessionsPerUser: number;
  sessionLimitPolicy: SessionLimitPolicy;
  serializer: Serializer;
  maxPayloadBytes: number;
  revokedTtl: number;
  revokeChunkSize: number;
  scanCount: number;
}

function nonNegativeInt(name: string, value: unknown, fallback: number, { positive = false } = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new SessionKitError('ERR_CONFIG', `option ${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${String(value)}`);
  }
  return Math.floor(value);
}

export function resolveOptions(options: SessionStoreOptions): ResolvedOptions {
  if (!options || typeof options !== 'object' || !options.client) {
    throw new SessionKitError('ERR_CONFIG', `SessionStore needs { client }: ${SUPPORTED_CLIENTS}`);
  }
  checkStoreOptions(options, storeOptionNames);
  const prefix = options.prefix ?? 'sess:';
  if (typeof prefix !== 'string' || prefix.length === 0) {
    throw new SessionKitError('ERR_CONFIG', 'option prefix must be a non-empty string (an empty prefix would let session keys collide with index keys)');
  }
  const indexPrefix = options.indexPrefix ?? `idx:${prefix}`;
  if (typeof indexPrefix !== 'string' || indexPrefix.length === 0 || indexPrefix.startsWith(prefix) || prefix.startsWith(indexPrefix)) {
    throw new SessionKitError(
      'ERR_CONFIG',
      `option indexPrefix (${JSON.stringify(indexPrefix)}) must be non-empty and neither start with nor be the start of prefix (${JSON.stringify(prefix)})`,
    );
  }
  const policy = options.sessionLimitPolicy ?? 'evict-oldest';
  if (policy !== 'evict-oldest' && policy !== 'reject') {
    throw new SessionKitError('ERR_CONFIG', `option sessionLimitPolicy must be 'evict-oldest' or 'reject', got ${String(policy)}`);
  }
  const serializer = options.serializer ?? safeJsonSerializer;
  if (typeof serializer.parse !== 'function' || typeof serializer.stringify !== 'function') {
    throw new SessionKitError('ERR_CONFIG', 'option serializer must have parse(text) and stringify(value) functions');
  }
  return {
    client: options.client,
    prefix,
    indexPrefix,
    ttl: nonNegativeInt('ttl', options.ttl, 86_400_000, { positive: true }),
    absoluteTimeout: nonNegativeInt('absoluteTimeout', options.absoluteTimeout, 0),
    maxSessionsPerUser: nonNegativeInt('maxSessionsPerUser', options.maxSessionsPerUser, 0),
    sessionLimitPolicy: policy,
    serializer,
    maxPayloadBytes: nonNegativeInt('maxPayloadBytes', options.maxPayloadBytes, 1_048_576, { positive: true }),
    revokedTtl: nonNegativeInt('revokedTtl', options.revokedTtl, 60_000),
    revokeChunkSize: nonNegativeInt('revokeChunkSize', options.revokeChunkSize, 500, { positive: true }),
    scanCount: nonNegativeInt('scanCount', options.scanCount, 100, { positive: true }),
  };
}
