import { SessionKitError } from '../errors.js';
import { type BunRedisClient, fromBun, isBun } from './bun.js';
import { fromIoredis, isIoredis, type IoredisClient } from './ioredis.js';
import { fromNodeRedis, isNodeRedis, type NodeRedisClient } from './node-redis.js';
import type { ClusterClient, RedisNode, StoreClient } from './types.js';

export type { ClusterClient, CommandArgs, RedisNode, SingleNodeClient, StoreClient } from './types.js';
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

/**
 * Groups keys by the master serving their slot, so that each group can go to that master in one
 * batch. Keys whose master is not known yet come under `undefined`: send them one by one through
 * the client, which follows redirections.
 */
export function groupByMaster(client: ClusterClient, keys: readonly string[]): Map<RedisNode | undefined, string[]> {
  const groups = new Map<RedisNode | undefined, string[]>();
  for (const key of keys) {
    const node = client.masterOf(key);
    const group = groups.get(node);
    if (group) group.push(key);
    else groups.set(node, [key]);
  }
  return groups;
}

export { SUPPORTED as SUPPORTED_CLIENTS };
