import { SessionKitError } from '../errors.js';
import { type BunRedisClient, fromBun, isBun } from './bun.js';
import { fromIoredis, isIoredis, type IoredisClient } from './ioredis.js';
import { fromNodeRedis, isNodeRedis, type NodeRedisClient } from './node-redis.js';
import type { StoreClient } from './types.js';

export type { CommandArgs, RedisNode, StoreClient } from './types.js';
export type { IoredisClient } from './ioredis.js';
export type { NodeRedisClient } from './node-redis.js';
export type { BunRedisClient } from './bun.js';

/**
 * The Redis clients a store accepts: ioredis 5/6 or iovalkey (`Redis`, `Cluster`), node-redis
 * 5/6, the `redis` package (`createClient`, `createCluster`, `createSentinel`), connected, or
 * Bun's `RedisClient` (single node; typed by shape, so core's types do not need Bun's).
 */
export type RedisClient = IoredisClient | NodeRedisClient | BunRedisClient;

const SUPPORTED =
  'an ioredis (or iovalkey) Redis or Cluster, a connected node-redis client (createClient, createCluster or createSentinel from the redis package), or a RedisClient from bun (single node)';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return typeof value;
  const name = (value as object).constructor?.name;
  const methods = Object.keys(value as object).filter((key) => typeof (value as Record<string, unknown>)[key] === 'function');
  const kind = name && name !== 'Object' ? `an instance of ${name}` : 'a plain object';
  return methods.length ? `${kind} (with ${methods.slice(0, 5).join(', ')}${methods.length > 5 ? ', ...' : ''})` : kind;
}

/** Wraps the app's client in the one interface the store talks to. */
export function toStoreClient(client: unknown): StoreClient {
  if (client && typeof client === 'object') {
    if (isIoredis(client)) return fromIoredis(client);
    if (isNodeRedis(client)) return fromNodeRedis(client);
    if (isBun(client)) return fromBun(client);
  }
  throw new SessionKitError('ERR_CONFIG', `option client must be ${SUPPORTED}; got ${describe(client)}`);
}

export { SUPPORTED as SUPPORTED_CLIENTS };
