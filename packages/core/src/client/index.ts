import { SessionKitError } from '../errors.js';
import { fromIoredis, isIoredis, type IoredisClient } from './ioredis.js';
import type { StoreClient } from './types.js';

export type { CommandArgs, RedisNode, StoreClient } from './types.js';

/** The Redis clients a store accepts: ioredis 5/6 or iovalkey (`Redis`, `Cluster`). */
export type RedisClient = IoredisClient;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as object).constructor?.name;
  return name && name !== 'Object' ? `an instance of ${name}` : 'a plain object';
}

/** Wraps the app's client in the one interface the store talks to. */
export function toStoreClient(client: unknown): StoreClient {
  if (client && typeof client === 'object' && isIoredis(client)) return fromIoredis(client);
  throw new SessionKitError(
    'ERR_CONFIG',
    `option client must be an ioredis (or iovalkey) Redis or Cluster client, got ${describe(client)}`,
  );
}
