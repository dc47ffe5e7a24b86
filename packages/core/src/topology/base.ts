import type { StoreClient } from '../client/types.js';
import type { ResolvedOptions } from '../options.js';
import { parseHeader, RECORD_MAGIC } from '../record-format.js';
import { scripts } from '../scripts.js';
import type { IndexEntry, TopologyContext, TouchOutcome, WriteOutcome, WriteRequest } from './types.js';

/** A script's reply, as the client hands it back. */
export type Reply = (string | number)[];

/** Far enough to mean "no expiry" for an index score (a connect-redis session without a TTL). */
export const NO_EXPIRY_SCORE = 8_640_000_000_000_000;

/**
 * The reply of a set script (see src/lua/set-indexed.lua and set-session.lua), for statuses other
 * than 'owner': a table, or, for a save that stored the record and evicted nothing (set-indexed.lua),
 * one string, which is cheaper for Redis to reply than a table: the times Redis put in the
 * request's own record (expiresAt then now, 13 digits each), or the header of the record the script built.
 */
export function writeOutcome(reply: Reply | string, request: WriteRequest): WriteOutcome {
  if (typeof reply === 'string') {
    if (reply.startsWith(RECORD_MAGIC)) return writtenHeader(reply);
    // The request's record was written: its createdAt and version are the ones it carries.
    const times = touchOutcome(reply);
    return {
      status: 'ok',
      createdAt: Number(request.createdAt),
      expiresAt: times.expiresAt,
      now: times.now!,
      version: Number(request.expect) + 1,
      evicted: [],
    };
  }
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

function writtenHeader(header: string): WriteOutcome {
  const parsed = parseHeader(header);
  if (!parsed) throw new Error(`unexpected reply from the set script: ${JSON.stringify(header.slice(0, 64))}`);
  return { status: 'ok', createdAt: parsed.createdAt, expiresAt: parsed.expiresAt, now: parsed.lastSeenAt, version: parsed.version, evicted: [] };
}

/**
 * The reply of a touch script (see src/lua/touch-session.lua and touch-indexed.lua), for statuses
 * other than 'owner': a table, or, for a record touched by touch-indexed.lua, its new times as
 * one string (expiresAt then now, 13 digits each).
 */
export function touchOutcome(reply: Reply | string): TouchOutcome {
  if (typeof reply === 'string') return { status: 'ok', expiresAt: Number(reply.slice(0, 13)), now: Number(reply.slice(13, 26)) };
  return { status: reply[0] as TouchOutcome['status'], expiresAt: Number(reply[1] ?? 0), now: reply[3] === undefined ? undefined : Number(reply[3]) };
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

/** A set script's arguments after the keys, as far as both share them (ARGV[1] to ARGV[9], see src/lua/set-session.lua). */
export function writeArgs(request: WriteRequest, options: Readonly<ResolvedOptions>): (string | number)[] {
  const { record, ttl, owner, metaMode, metaText, expect, createdAt, dataAt, expected } = request;
  const meta = metaMode === 'keep' ? 'k' : metaMode === 'clear' ? 'c' : `s${metaText}`;
  return [record, ttl, options.absoluteTimeout, owner, meta, expect, createdAt, dataAt, expected];
}

/**
 * What both topologies do alike: key names, the index operations that touch the index key alone
 * (a single-slot script either way), and logout-everywhere's first, atomic step.
 */
export abstract class TopologyBase<C extends StoreClient> {
  constructor(protected readonly ctx: TopologyContext<C>) {}

  protected get client(): C {
    return this.ctx.client;
  }

  /** The key an index member names. The store hands the topology members, never session ids (see KeyLayout). */
  protected session(member: string): string {
    return this.ctx.keys.sessionAt(member);
  }

  protected index(owner: string): string {
    return this.ctx.keys.index(owner);
  }

  async listIndex(owner: string): Promise<IndexEntry[]> {
    const listed = (await scripts.indexList.run(this.client, [this.index(owner)], [])) as Reply;
    const entries: IndexEntry[] = [];
    for (let i = 0; i < listed.length; i += 2) entries.push({ id: String(listed[i]), expiresAt: Number(listed[i + 1]) });
    return entries;
  }

  /** Puts a member in the owner's index at `expiresAt` (or keeps a later score): a session moved to its hashed key. */
  async indexMember(owner: string, id: string, expiresAt: number): Promise<void> {
    await scripts.indexAdd.run(this.client, [this.index(owner)], [id, NO_EXPIRY_SCORE, 0, '', expiresAt]);
  }

  async pruneIndex(owner: string, ids: readonly string[]): Promise<void> {
    await scripts.indexRemove.run(this.client, [this.index(owner)], ids);
  }

  async countIndex(owner: string): Promise<number> {
    return Number(await scripts.indexCount.run(this.client, [this.index(owner)], []));
  }

  /**
   * Logout-everywhere's first step (src/lua/revoke-all-start.lua): the index moves into its
   * draining key, the `except` ids go back, and up to `chunk` ids are revoked in the same script
   * (0 on a cluster, where the sessions sit in other slots). Reports each key it set aside.
   */
  protected async startRevokeAll(
    owner: string,
    except: string[],
    setAside: (key: string) => void,
    chunk: number,
  ): Promise<RevokeProgress & { draining: string }> {
    const index = this.index(owner);
    const draining = this.ctx.keys.draining(owner);
    const keys = [index, draining, `${index}:corrupt`, `${draining}:corrupt`];
    const reply = (await scripts.revokeAllStart.run(this.client, keys, [owner, this.ctx.options.revokedTtl, this.ctx.keys.prefix, chunk, ...except])) as Reply;
    if (Number(reply[4]) === 1) setAside(index);
    if (Number(reply[5]) === 1) setAside(draining);
    return { ...chunkReply(reply), draining };
  }
}
