import type { StoreClient } from '../client/types.js';
import type { KeyLayout } from '../keys.js';
import type { ResolvedOptions } from '../options.js';

/**
 * One save, as the store hands it to the topology. Here and in every Topology method, `id` is the
 * session's index member (its handle, see KeyLayout.member), the suffix of its key.
 */
export interface WriteRequest {
  id: string;
  text: string;
  /**
   * The record as the script will write it when what is stored is what the caller loaded (see
   * `expected`): the header with both times as 26 '0's (Redis puts its own in), the meta, then
   * `text` from `dataAt` on. Otherwise the script builds the record and takes only the data from it.
   */
  record: string;
  /** Where the data starts in `record` (its header and meta are ASCII: characters are bytes). */
  dataAt: number;
  /**
   * What the caller expects stored, as the record holds it: from the '|' before createdAt to the
   * '|' after the owner, then '0|' when meta is kept (none stored); '' when it cannot tell (no
   * createdAt or version loaded, or the owner changes).
   */
  expected: string;
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

/**
 * Where the per-user index is kept in step with the sessions: the two axes' second, beside the
 * client. `owner` is always the encoded user id.
 */
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
  /** The owner's index entries, soonest expiry first, once expired ones are pruned. */
  listIndex(owner: string): Promise<IndexEntry[]>;
  /** Puts an id in the owner's index at `expiresAt` (a session moved to its hashed key). */
  indexMember(owner: string, id: string, expiresAt: number): Promise<void>;
  /** Takes ids out of the owner's index (stale entries a listing found). */
  pruneIndex(owner: string, ids: readonly string[]): Promise<void>;
  /** Live entries in the owner's index (expired ones are pruned first). */
  countIndex(owner: string): Promise<number>;
}

/** One entry of a per-user index: a session id and the expiry it was indexed with (ms). */
export interface IndexEntry {
  id: string;
  expiresAt: number;
}

export interface TopologyContext<C extends StoreClient = StoreClient> {
  client: C;
  keys: KeyLayout;
  options: Readonly<ResolvedOptions>;
}
