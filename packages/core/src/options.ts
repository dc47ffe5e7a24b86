import { SUPPORTED_CLIENTS, type RedisClient } from './client/index.js';
import { KeyRing, type EncryptionKey } from './encryption.js';
import { SessionKitError } from './errors.js';
import { optionSchema, resolveSchema, wholeNumber, type OptionSpec } from './option-schema.js';
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
  /**
   * Store a hash of each session id, never the id: keys are `<prefix><handle>` and index members
   * are handles, where a handle is the SHA-256 of the id in base64url (see docs/security.md).
   * Default true. False keeps the layout of earlier releases and of connect-redis
   * (`<prefix><id>`), for a rollback or a reader outside SessionKit that looks keys up by id.
   */
  hashIds?: boolean;
  /**
   * With `hashIds`, a read that finds no session under the hashed key looks for one under the
   * plain id (what connect-redis and earlier releases wrote) and moves it. Default true; set false
   * once `sessionkit migrate` has moved every session, to save that GET on requests without a session.
   */
  legacyKeys?: boolean;
  /**
   * Encrypt each session's data and meta at rest (AES-256-GCM): 32-byte keys, base64 (`openssl
   * rand -base64 32`) or Buffers. The first key encrypts, every key decrypts: add a new key first
   * to rotate, drop an old one once `sessionkit reencrypt` has run. Default: none (stored in clear).
   * See docs/security.md and docs/operations.md.
   */
  encryptionKeys?: readonly EncryptionKey[] | KeyRing;
}

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
  hashIds: boolean;
  legacyKeys: boolean;
  /** The keys, by id (never printed: see KeyRing); undefined when sessions are stored in clear. */
  encryptionKeys: KeyRing | undefined;
}

function flag(name: string): NonNullable<OptionSpec['check']> {
  return (value) => {
    if (typeof value !== 'boolean') throw new SessionKitError('ERR_CONFIG', `option ${name} must be true or false, got ${String(value)}`);
    return value;
  };
}

/**
 * The core store's options, declared (see option-schema.ts). `satisfies` makes tsc fail when an
 * option is added to (or removed from) SessionStoreOptions and not here, so a new option is
 * known, checked and resolved for SessionStore and for every adapter (FrameworkStore takes these
 * entries) without editing a list.
 */
export const storeSchema: readonly OptionSpec[] = optionSchema('store', {
  client: {},
  prefix: {
    default: 'sess:',
    check: (prefix) => {
      if (typeof prefix !== 'string' || prefix.length === 0) {
        throw new SessionKitError('ERR_CONFIG', 'option prefix must be a non-empty string (an empty prefix would let session keys collide with index keys)');
      }
      return prefix;
    },
  },
  indexPrefix: {
    defaultFrom: ({ prefix }) => `idx:${String(prefix)}`,
    check: (indexPrefix, { resolved }) => {
      const prefix = resolved.prefix as string;
      if (typeof indexPrefix !== 'string' || indexPrefix.length === 0 || indexPrefix.startsWith(prefix) || prefix.startsWith(indexPrefix)) {
        throw new SessionKitError(
          'ERR_CONFIG',
          `option indexPrefix (${JSON.stringify(indexPrefix)}) must be non-empty and neither start with nor be the start of prefix (${JSON.stringify(prefix)})`,
        );
      }
      return indexPrefix;
    },
  },
  ttl: { unit: 'ms', lifetime: 'required', default: 86_400_000, check: wholeNumber({ positive: true }) },
  absoluteTimeout: { unit: 'ms', lifetime: 'zero-off', default: 0, check: wholeNumber() },
  maxSessionsPerUser: { unit: 'count', default: 0, check: wholeNumber() },
  sessionLimitPolicy: {
    default: 'evict-oldest',
    check: (policy) => {
      if (policy !== 'evict-oldest' && policy !== 'reject') {
        throw new SessionKitError('ERR_CONFIG', `option sessionLimitPolicy must be 'evict-oldest' or 'reject', got ${String(policy)}`);
      }
      return policy;
    },
  },
  serializer: {
    default: safeJsonSerializer,
    check: (serializer) => {
      const { parse, stringify } = (serializer ?? {}) as Partial<Serializer>;
      if (typeof parse !== 'function' || typeof stringify !== 'function') {
        throw new SessionKitError('ERR_CONFIG', 'option serializer must have parse(text) and stringify(value) functions');
      }
      return serializer;
    },
  },
  maxPayloadBytes: { unit: 'bytes', default: 1_048_576, check: wholeNumber({ positive: true }) },
  revokedTtl: { unit: 'ms', default: 60_000, check: wholeNumber() },
  revokeChunkSize: { unit: 'count', default: 500, check: wholeNumber({ positive: true }) },
  scanCount: { unit: 'count', default: 100, check: wholeNumber({ positive: true }) },
  hashIds: { default: true, check: flag('hashIds') },
  legacyKeys: { default: true, check: flag('legacyKeys') },
  encryptionKeys: {
    check: (keys, { name }) => (keys === undefined || keys instanceof KeyRing ? keys : new KeyRing(keys as readonly EncryptionKey[], name)),
  },
} satisfies Record<keyof SessionStoreOptions, Omit<OptionSpec, 'name' | 'layer'>>);

/**
 * Options resolved by `resolveOptions` or, with the framework layer's, by FrameworkStore
 * (option-schema.ts checked them all, each in its layer's units): SessionStore takes them as
 * they are. Only resolution builds one, so no options reach a store unchecked.
 */
export class ResolvedStoreOptions {
  constructor(readonly values: ResolvedOptions) {}
}

/** Throws unless the options can build a store at all: an object with a client. */
export function requireClient(options: { client?: unknown } | undefined): void {
  if (!options || typeof options !== 'object' || !options.client) {
    throw new SessionKitError('ERR_CONFIG', `SessionStore needs { client }: ${SUPPORTED_CLIENTS}`);
  }
}

export function resolveOptions(options: SessionStoreOptions | ResolvedStoreOptions): ResolvedOptions {
  if (options instanceof ResolvedStoreOptions) return options.values;
  requireClient(options);
  return resolveSchema(storeSchema, options as unknown as Record<string, unknown>, 'SessionStore') as unknown as ResolvedOptions;
}
