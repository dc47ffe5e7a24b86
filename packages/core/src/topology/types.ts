import type { StoreClient } from '../client/types.js';
import type { KeyLayout } from '../keys.js';
import type { ResolvedOptions } from '../options.js';

/** One save, as the store hands it to the topology. */
export interface WriteRequest {
  id: string;
  text: string;
  ttl: number;
  /** The new owner, encoded; '' for an anonymous session. */
  owner: string;
  /** The owner the caller loaded (encoded, '' none); undefined: assume it is `owner`. */
  believedOwner?: string;
  metaMode: 'keep' | 'set' | 'clear';
  metaText: string;
  /** '' writes whatever is stored; else the version the caller loaded. */
  expect: string;
  /** The createdAt the caller last read, or ''. */
  createdAt: string;
}

export type WriteOutcome =
  | { status: 'ok' | 'expired' | 'limit'; createdAt: number; expiresAt: number; now: number; version: number; evicted: string[] }
  | { status: 'revoked' }
  | { status: 'conflict'; version: number; value: string };

export interface TouchOutcome {
  status: 'ok' | 'expired' | 'missing';
  expiresAt: number;
  now?: number;
}

/** Where the per-user index is kept in step with the sessions: the two axes' second, beside the client. */
export interface Topology {
  write(request: WriteRequest): Promise<WriteOutcome>;
  touch(id: string, ttl: number, believedOwner: string | undefined): Promise<TouchOutcome>;
  destroy(id: string, believedOwner: string | undefined): Promise<boolean>;
  revokeUserSession(owner: string, id: string): Promise<boolean>;
  /** Logout-everywhere; returns how many live sessions were revoked. */
  revokeAll(owner: string, except: string[]): Promise<number>;
  indexLegacy(id: string, owner: string): Promise<'indexed' | 'already' | 'not-legacy' | 'missing'>;
}

export interface TopologyContext {
  client: StoreClient;
  keys: KeyLayout;
  options: Readonly<ResolvedOptions>;
}

/** Far enough to mean "no expiry" for an index score (a connect-redis session without a TTL). */
export const NO_EXPIRY_SCORE = 8_640_000_000_000_000;

type Reply = (string | number)[];

/** The reply of the set script (see src/lua/set.lua), for statuses other than 'owner'. */
export function writeOutcome(reply: Reply): WriteOutcome {
  const status = String(reply[0]);
  if (status === 'revoked') return { status };
  if (status === 'conflict') return { status, version: Number(reply[1]), value: String(reply[2] ?? '') };
  return {
    status: status as 'ok' | 'expired' | 'limit',
    createdAt: Number(reply[1]),
    expiresAt: Number(reply[2]),
    now: Number(reply[4]),
    version: Number(reply[5]),
    evicted: reply.slice(6).map(String),
  };
}

/** The set script's arguments after the keys. */
export function writeArgs(request: WriteRequest, believed: string, options: Readonly<ResolvedOptions>, prefix: string, withIndex: boolean) {
  return [
    request.text,
    request.ttl,
    options.absoluteTimeout,
    request.owner,
    believed,
    request.metaMode,
    request.metaText,
    request.expect,
    request.createdAt,
    options.maxSessionsPerUser,
    options.sessionLimitPolicy === 'reject' ? 'reject' : 'evict',
    options.revokedTtl,
    prefix,
    request.id,
    withIndex ? '1' : '0',
  ];
}
