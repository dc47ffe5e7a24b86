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
  /**
   * Logout-everywhere; returns how many live sessions were revoked. `setAside` hears of each key
   * of another type found where the index or its draining key belongs, moved out of the way.
   * Throws when any session could not be revoked; those stay in the draining key for a retry.
   */
  revokeAll(owner: string, except: string[], setAside: (key: string) => void): Promise<number>;
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

/** The keys of revoke-all-start.lua: the index, its draining key, and where either is set aside when corrupt. */
export function revokeAllKeys(keys: KeyLayout, owner: string): [string, string, string, string] {
  const index = keys.index(owner);
  const draining = keys.draining(owner);
  return [index, draining, `${index}:corrupt`, `${draining}:corrupt`];
}

/** The start script's reply (see src/lua/revoke-all-start.lua): reports what it set aside, then as a chunk's. */
export function startReply(reply: Reply, keys: readonly string[], setAside: (key: string) => void): RevokeProgress {
  if (Number(reply[4]) === 1) setAside(keys[0]!);
  if (Number(reply[5]) === 1) setAside(keys[1]!);
  return chunkReply(reply);
}

/** What a logout-everywhere script did: revoked, ids left, and those that could not be revoked. */
export interface RevokeProgress {
  revoked: number;
  remaining: number;
  failed: number;
  failure: string;
}

export function chunkReply(reply: Reply): RevokeProgress {
  return { revoked: Number(reply[0]), remaining: Number(reply[1]), failed: Number(reply[2] ?? 0), failure: String(reply[3] ?? '') };
}

/**
 * The error of a logout-everywhere that could not revoke every session. None of them is lost:
 * those that failed and those not tried yet (`remaining` in all) stay in the draining key, where
 * the next logout-everywhere for the user retries them.
 */
export function revokeFailed(revoked: number, failed: number, failure: string, remaining: number): Error {
  return new Error(
    `logout-everywhere revoked ${revoked} session(s), but ${failed} could not be revoked (first error: ${failure}). ` +
      `Those and any not tried yet, ${remaining} in all, may still be signed in: they stay listed for the next ` +
      'logout-everywhere of this user, which retries them',
  );
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
