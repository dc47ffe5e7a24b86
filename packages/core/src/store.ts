import { EventEmitter } from 'node:events';
import type { Cluster, Redis } from 'ioredis';
import { withScripts, type ScriptClient } from './commands.js';
import { isCluster, runPerKeyOnNodes, scanAll } from './cluster.js';
import { CorruptSessionError, RedisOperationError, SessionKitError, SessionLimitError } from './errors.js';
import { checkSessionId, encodeUserId, hashId, KeyLayout, normalizeUserId } from './keys.js';
import { resolveOptions, type ResolvedOptions, type SessionStoreOptions } from './options.js';
import { parseMeta, recordFromReply, type SessionInfo, type SessionRecord } from './records.js';
import { serialize } from './serializer.js';

export interface SetOptions {
  /** Idle timeout for this write in ms; default the store's `ttl`. `<= 0` deletes the session. */
  ttl?: number;
  /** Owner. Omitted or null: the session is anonymous (and leaves any user's index). */
  userId?: string | number | null;
  /** Device details for listings (user agent, IP, ...). Omitted: keep what is stored; null: clear. */
  meta?: Record<string, unknown> | null;
  /**
   * The session's `createdAt` as last read. Used only when the record is gone by the time this
   * write lands (it expired while the request ran): the absolute timeout then still counts from
   * it, so a late write past the absolute expiry is refused ('expired') instead of starting a new
   * lifetime. Omitted: a missing record is a new session.
   */
  createdAt?: number;
}

export interface SetResult {
  /** False when nothing was written: the ttl had run out (the session was deleted) or the id was revoked. */
  stored: boolean;
  reason?: 'expired' | 'revoked';
  createdAt?: number;
  expiresAt?: number;
}

export interface InvalidateOptions {
  /** Session id(s) to keep, typically the current request's. */
  except?: string | string[];
}

export interface SessionStoreEvents {
  /** A stored value could not be read; the session was treated as absent. */
  corrupt: [error: CorruptSessionError, info: { idHash: string }];
  /** Logout-everywhere finished. */
  invalidate: [info: { userId: string; count: number }];
  /** maxSessionsPerUser pushed older sessions out. */
  evict: [info: { userId: string; idHashes: string[] }];
  /** A write to a destroyed or revoked id was refused. */
  'revoked-write': [info: { idHash: string }];
}

type Reply = (string | number | null)[];

/** A session record's fields in the order `get` reads them (see scripts.ts). */
const RECORD_FIELDS = ['d', 'u', 'c', 'e', 'l', 'm', 'a'] as const;

/** How long a clock offset is trusted before a read asks Redis's TIME again (NTP may step a clock). */
const CLOCK_RESYNC_MS = 60_000;

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

export class SessionStore<T = unknown> extends EventEmitter<SessionStoreEvents> {
  readonly options: Readonly<ResolvedOptions>;
  readonly keys: KeyLayout;
  /** Redis's clock minus this process's, from the last reply that carried Redis's clock. */
  private redisClockOffset = 0;
  /** When (this process's clock) that offset was last taken; 0: never. */
  private clockSyncedAt = 0;
  private readonly redis: (Redis | Cluster) & ScriptClient;
  /** On a single node, scripts keep session and index consistent in one call; a cluster cannot. */
  private readonly single: boolean;

  constructor(options: SessionStoreOptions) {
    super();
    this.options = Object.freeze(resolveOptions(options));
    this.keys = new KeyLayout(this.options.prefix, this.options.indexPrefix);
    this.redis = withScripts(this.options.client);
    this.single = !isCluster(this.options.client);
  }

  get client(): Redis | Cluster {
    return this.options.client;
  }

  /** Writes a session and keeps the owner's index in step. */
  async set(id: string, data: T, options: SetOptions = {}): Promise<SetResult> {
    checkSessionId(id);
    const ttl = this.ttlOf(options.ttl);
    const userId = options.userId === undefined || options.userId === null ? undefined : normalizeUserId(options.userId);
    const uid = userId === undefined ? '' : encodeUserId(userId);
    const text = serialize(this.options.serializer, data, this.options.maxPayloadBytes);
    const [metaMode, metaText] = this.metaArgs(options.meta);
    if (options.createdAt !== undefined && !Number.isFinite(options.createdAt)) {
      throw new SessionKitError('ERR_INVALID_OPTION', `createdAt must be a time in ms, got ${String(options.createdAt)}`);
    }
    const createdArg = options.createdAt === undefined ? '' : String(Math.floor(options.createdAt));
    const key = this.keys.session(id);
    const index = uid ? this.keys.index(uid) : undefined;
    const { prefix, indexPrefix, absoluteTimeout, maxSessionsPerUser, sessionLimitPolicy, revokedTtl } = this.options;
    const policy = sessionLimitPolicy === 'reject' ? 'reject' : 'evict';

    return this.attempt('set', async () => {
      let evicted: string[] = [];
      // Cluster, policy 'reject': reserve a place first, so the cap refuses before anything is written.
      const pending = !this.single && index && ttl > 0 && maxSessionsPerUser > 0 && policy === 'reject' ? this.keys.pending(uid) : undefined;
      if (pending && !(await this.redis.sessionkitIndexReserve(2, index!, pending, id, ttl, maxSessionsPerUser))) {
        throw new SessionLimitError(maxSessionsPerUser);
      }
      // Cluster: only the session key (the index lives in another slot; naming it too is a CROSSSLOT error).
      const keys = index && this.single ? [key, index] : [key];
      let reply: Reply;
      try {
        reply = (await this.redis.sessionkitSet(
          keys.length, ...keys,
          text, ttl, absoluteTimeout, uid, metaMode, metaText, prefix, indexPrefix,
          maxSessionsPerUser, policy, revokedTtl, this.single ? '1' : '0', id, createdArg,
        )) as Reply;
      } catch (error) {
        if (pending) await this.redis.sessionkitIndexRemove(1, pending, id).catch(() => undefined);
        throw error;
      }
      const [status, createdAt, expiresAt, previousUid, now] = reply as [string, number, number, string, number | undefined];
      this.observeRedisClock(now);
      if (this.single) evicted = reply.slice(5) as string[];
      else evicted = await this.settleClusterWrite(id, status, uid, previousUid, index, pending, ttl, expiresAt);
      if (status === 'limit') throw new SessionLimitError(maxSessionsPerUser);
      if (evicted.length && userId !== undefined) this.emit('evict', { userId, idHashes: evicted.map(hashId) });
      if (status === 'revoked') {
        this.emit('revoked-write', { idHash: hashId(id) });
        return { stored: false, reason: 'revoked' };
      }
      if (status === 'expired') return { stored: false, reason: 'expired' };
      return { stored: true, createdAt, expiresAt };
    });
  }

  /**
   * The index side effects that a single-node script does inline. The index entry is added only
   * once the session exists: an entry whose session is not written yet would be dropped as stale
   * by a concurrent listUserSessions, or skipped by a concurrent logout-everywhere, and the
   * session would then live on outside its index. Returns the ids the cap evicted (now revoked).
   */
  private async settleClusterWrite(
    id: string, status: string, uid: string, previousUid: string | undefined,
    index: string | undefined, pending: string | undefined, ttl: number, expiresAt: number,
  ): Promise<string[]> {
    const { maxSessionsPerUser, sessionLimitPolicy } = this.options;
    const work: Promise<unknown>[] = [];
    let evicted: string[] = [];
    if (previousUid && previousUid !== uid) work.push(this.redis.sessionkitIndexRemove(1, this.keys.index(previousUid), id));
    if (index && status === 'ok') {
      // 'reject' already counted this id when it reserved its place; 'evict-oldest' applies the cap now.
      const max = sessionLimitPolicy === 'reject' ? 0 : maxSessionsPerUser;
      const keys = pending ? [index, pending] : [index];
      work.push(
        this.redis.sessionkitIndexAdd(keys.length, ...keys, id, ttl, max, 'evict', expiresAt).then((reply) => {
          evicted = (reply as string[]).slice(1);
        }),
      );
    } else if (index) {
      work.push(this.redis.sessionkitIndexRemove(1, index, id));
      if (pending) work.push(this.redis.sessionkitIndexRemove(1, pending, id));
    }
    await Promise.all(work);
    if (evicted.length && uid) await this.revokeKeys(uid, evicted);
    return evicted;
  }

  /** The session, or null when absent, expired, revoked or unreadable (which also emits 'corrupt'). */
  async get(id: string): Promise<SessionRecord<T> | null> {
    checkSessionId(id);
    const reply = await this.attempt('get', () => this.read(this.keys.session(id)));
    const report = (error: CorruptSessionError) => this.emit('corrupt', error, { idHash: hashId(id) });
    try {
      return recordFromReply(id, reply, this.options.serializer, report) as SessionRecord<T> | null;
    } catch (error) {
      if (!(error instanceof CorruptSessionError)) throw error;
      report(error);
      return null;
    }
  }

  /**
   * A record is read with a plain HMGET, no script: Redis never returns a key past its expiry,
   * and a command costs its single thread several times less than a script doing the same. A key
   * that is not a hash (a tombstone, a string connect-redis wrote, a foreign value) makes HMGET
   * fail with WRONGTYPE, and only then does the GET script sort it out.
   */
  private async read(key: string): Promise<unknown[] | null> {
    // A process that only reads would never learn Redis's clock from a write's reply: ask for it
    // beside the read (same round trip) when it is unknown or older than CLOCK_RESYNC_MS.
    const sync = Date.now() - this.clockSyncedAt > CLOCK_RESYNC_MS ? this.syncRedisClock() : undefined;
    let fields: (string | null)[];
    try {
      [fields] = await Promise.all([this.redis.hmget(key, ...RECORD_FIELDS), sync]);
    } catch (error) {
      if (!isWrongType(error)) throw error;
      return (await this.redis.sessionkitGet(1, key)) as unknown[] | null;
    }
    if (fields.every((field) => field === null)) return null;
    // No clock: Redis's own expiry, on its clock, has already decided (see recordFromReply).
    return ['h', null, ...fields];
  }

  /**
   * This process's estimate of Redis's clock, in epoch ms: `Date.now()` plus `clockOffset`. Good to
   * a round trip; for decisions that compare with stored times, which come from Redis's clock
   * (touch throttling), and for showing them on this process's clock (cookie expiry).
   */
  redisTime(): number {
    return Date.now() + this.redisClockOffset;
  }

  /**
   * Redis's clock minus this process's, in ms: from the last `set` or `touch` reply, or from a
   * `TIME` sent beside a `get` when none came for CLOCK_RESYNC_MS (and before the first). 0 until
   * then.
   */
  get clockOffset(): number {
    return this.redisClockOffset;
  }

  private observeRedisClock(redisNow: number | undefined): void {
    if (typeof redisNow !== 'number') return;
    this.redisClockOffset = redisNow - Date.now();
    this.clockSyncedAt = Date.now();
  }

  /** Never fails: a read must not fail for the clock's sake, and the next read tries again. */
  private async syncRedisClock(): Promise<void> {
    this.clockSyncedAt = Date.now(); // one TIME in flight at a time
    try {
      const [seconds, micros] = await this.redis.time();
      this.observeRedisClock(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    } catch {
      this.clockSyncedAt = 0;
    }
  }

  /** Slides the expiry to now + ttl (capped by the absolute timeout). Returns the new expiry, or null if there is no session. */
  async touch(id: string, options: { ttl?: number } = {}): Promise<number | null> {
    checkSessionId(id);
    const ttl = this.ttlOf(options.ttl);
    return this.attempt('touch', async () => {
      const [status, expiresAt, uid, now] = (await this.redis.sessionkitTouch(
        1, this.keys.session(id), ttl, this.options.indexPrefix, this.single ? '1' : '0', id,
      )) as [string, number, string, number | undefined];
      this.observeRedisClock(now);
      if (!this.single && uid) {
        const index = this.keys.index(uid);
        if (status === 'ok') await this.redis.sessionkitIndexAdd(1, index, id, ttl, 0, '', expiresAt);
        else if (status === 'expired') await this.redis.sessionkitIndexRemove(1, index, id);
      }
      return status === 'ok' ? expiresAt : null;
    });
  }

  /** Deletes a session (leaving a short-lived tombstone, see `revokedTtl`). True if there was one. */
  async destroy(id: string): Promise<boolean> {
    checkSessionId(id);
    return this.attempt('destroy', async () => {
      const [removed, uid] = (await this.redis.sessionkitDestroy(
        1, this.keys.session(id), this.options.revokedTtl, this.options.indexPrefix, this.single ? '1' : '0', id,
      )) as [number, string];
      if (!this.single && uid) await this.redis.sessionkitIndexRemove(1, this.keys.index(uid), id);
      return removed === 1;
    });
  }

  /**
   * Revokes one session, only if it belongs to `userId`: the safe way to offer "sign out that
   * device" to a user, who can never name another user's session through it.
   */
  async revokeUserSession(userId: string | number, id: string): Promise<boolean> {
    checkSessionId(id);
    const uid = encodeUserId(normalizeUserId(userId));
    return this.attempt('revokeUserSession', async () => {
      const [revoked] = await Promise.all([
        this.redis.sessionkitRevokeOne(1, this.keys.session(id), uid, this.options.revokedTtl) as Promise<number>,
        this.redis.sessionkitIndexRemove(1, this.keys.index(uid), id),
      ]);
      return revoked === 1;
    });
  }

  /** The user's live sessions, most recently seen first. Stale index entries found on the way are removed. */
  async listUserSessions(userId: string | number): Promise<SessionInfo[]> {
    const uid = encodeUserId(normalizeUserId(userId));
    const index = this.keys.index(uid);
    return this.attempt('listUserSessions', async () => {
      const members = (await this.redis.sessionkitIndexList(1, index)) as string[];
      const ids = members.filter((_, i) => i % 2 === 0);
      const rows = await Promise.all(
        // A key that is no longer a record (a tombstone, a foreign value) is a stale entry; any
        // other failure must fail the listing, or a Redis hiccup would unindex live sessions.
        ids.map((id) => this.redis.hmget(this.keys.session(id), 'u', 'c', 'e', 'l', 'm', 'a').catch((error: unknown) => {
          if (isWrongType(error)) return null;
          throw error;
        })),
      );
      const sessions: SessionInfo[] = [];
      const stale: string[] = [];
      rows.forEach((row, i) => {
        const id = ids[i]!;
        const info = row && row[0] === uid ? this.infoFromRow(id, row) : undefined;
        if (info) sessions.push(info);
        else stale.push(id);
      });
      if (stale.length) await this.redis.sessionkitIndexRemove(1, index, ...stale);
      return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    });
  }

  private infoFromRow(id: string, row: (string | null)[]): SessionInfo | undefined {
    const [, c, e, l, m, a] = row;
    const expiresAt = Number(e);
    // No clock comparison: HMGET answered, so Redis (on its clock) holds the key as live.
    if (!c || !e || !l || !Number.isFinite(expiresAt)) return undefined;
    const info: SessionInfo = { id, createdAt: Number(c), expiresAt, lastSeenAt: Number(l) };
    if (a) info.absoluteExpiresAt = Number(a);
    try {
      const meta = parseMeta(m ?? null);
      if (meta) info.meta = meta;
    } catch (error) {
      this.emit('corrupt', error as CorruptSessionError, { idHash: hashId(id) });
    }
    return info;
  }

  /** Live entries in the user's index (expired ones are pruned first). */
  async countUserSessions(userId: string | number): Promise<number> {
    const index = this.keys.index(encodeUserId(normalizeUserId(userId)));
    return this.attempt('countUserSessions', async () => Number(await this.redis.sessionkitIndexCount(1, index)));
  }

  /**
   * Logout-everywhere. Atomically moves the user's index aside (keeping `except`), then revokes
   * every session in it. Single node: one round trip for up to `revokeChunkSize` sessions, one
   * more (a pipeline of chunks) beyond that; each chunk is one short script. Any session whose
   * write completed before this call began is revoked; a write that lands later can not bring a
   * revoked id back (tombstone). Returns how many live sessions were revoked.
   */
  async invalidateAllUserSessions(userId: string | number, options: InvalidateOptions = {}): Promise<number> {
    const normalized = normalizeUserId(userId);
    const uid = encodeUserId(normalized);
    const except = options.except === undefined ? [] : Array.isArray(options.except) ? options.except : [options.except];
    except.forEach((id) => checkSessionId(id));
    const { prefix, revokedTtl, revokeChunkSize } = this.options;
    const index = this.keys.index(uid);
    const draining = this.keys.draining(uid);

    const count = await this.attempt('invalidateAllUserSessions', async () => {
      const firstChunk = this.single ? revokeChunkSize : 0;
      let [revoked, remaining] = (await this.redis.sessionkitRevokeAllStart(
        2, index, draining, uid, prefix, revokedTtl, firstChunk, ...except,
      )) as [number, number];
      while (remaining > 0) {
        if (this.single) {
          const pipeline = this.redis.pipeline() as unknown as ScriptClient & { exec(): Promise<[Error | null, unknown][] | null> };
          for (let n = Math.ceil(remaining / revokeChunkSize); n > 0; n--) {
            pipeline.sessionkitRevokeChunk(1, draining, uid, prefix, revokedTtl, revokeChunkSize);
          }
          const replies = (await pipeline.exec()) ?? [];
          for (const [error, value] of replies) {
            if (error) throw error;
            const [n, left] = value as [number, number];
            revoked += n;
            remaining = left;
          }
        } else {
          // ZRANGE, revoke, then ZREM: a crash in between leaves members to redo, never a live session unindexed.
          const ids = await this.redis.zrange(draining, 0, revokeChunkSize - 1);
          if (ids.length === 0) break;
          revoked += await this.revokeKeys(uid, ids);
          await this.redis.sessionkitIndexRemove(1, draining, ...ids);
          remaining = await this.redis.zcard(draining);
        }
      }
      return revoked;
    });
    this.emit('invalidate', { userId: normalized, count });
    return count;
  }

  /** Cluster: revoke sessions of one user, one pipeline per master, masters in parallel. */
  private async revokeKeys(uid: string, ids: string[]): Promise<number> {
    const keys = ids.map((id) => this.keys.session(id));
    const { revokedTtl } = this.options;
    if (this.single) {
      const results = await Promise.all(keys.map((key) => this.redis.sessionkitRevokeOne(1, key, uid, revokedTtl)));
      return results.reduce<number>((sum, n) => sum + Number(n), 0);
    }
    const results = await runPerKeyOnNodes(
      this.client as Cluster,
      keys,
      (client, key) => client.sessionkitRevokeOne(1, key, uid, revokedTtl),
      (pipeline, key) => void pipeline.sessionkitRevokeOne(1, key, uid, revokedTtl),
    );
    return results.reduce<number>((sum, n) => sum + Number(n), 0);
  }

  /** Ids of every live session (SCAN on every node; for admin tools, not for request paths). */
  async ids(): Promise<string[]> {
    return this.attempt('ids', async () => {
      const ids: string[] = [];
      for await (const batch of scanAll(this.client, this.keys.sessionPattern(), this.options.scanCount)) {
        const live = await Promise.all(batch.map((key) => this.redis.sessionkitIsLive(1, key)));
        batch.forEach((key, i) => {
          if (live[i] === 1) ids.push(key.slice(this.options.prefix.length));
        });
      }
      return ids;
    });
  }

  /** Every live session. Unreadable ones are skipped (and reported through 'corrupt'). */
  async all(): Promise<SessionRecord<T>[]> {
    const ids = await this.ids();
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is SessionRecord<T> => r !== null);
  }

  async length(): Promise<number> {
    return (await this.ids()).length;
  }

  /** Deletes every session, tombstone and index under this store's prefixes. Returns keys removed. */
  async clear(): Promise<number> {
    return this.attempt('clear', async () => {
      let removed = 0;
      for (const pattern of [this.keys.sessionPattern(), this.keys.indexPattern()]) {
        for await (const batch of scanAll(this.client, pattern, this.options.scanCount)) {
          // One key per command: on a cluster, keys of one SCAN batch sit in many slots.
          const counts = await Promise.all(batch.map((key) => this.redis.unlink(key)));
          removed += counts.reduce((sum, n) => sum + n, 0);
        }
      }
      return removed;
    });
  }

  private ttlOf(ttl: number | undefined): number {
    if (ttl === undefined) return this.options.ttl;
    if (typeof ttl !== 'number' || Number.isNaN(ttl)) {
      throw new SessionKitError('ERR_INVALID_OPTION', `ttl must be a number of milliseconds, got ${String(ttl)}`);
    }
    // Redis needs integers; anything non-positive means "expired now".
    return ttl === Infinity ? Number.MAX_SAFE_INTEGER : Math.max(0, Math.ceil(ttl));
  }

  private metaArgs(meta: SetOptions['meta']): [string, string] {
    if (meta === undefined) return ['keep', ''];
    if (meta === null) return ['clear', ''];
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      throw new SessionKitError('ERR_INVALID_OPTION', 'meta must be a plain object, null or undefined');
    }
    return ['set', serialize({ stringify: JSON.stringify, parse: JSON.parse }, meta, 16_384)];
  }

  /** Runs Redis work, turning client failures into RedisOperationError with the cause attached. */
  private async attempt<R>(operation: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof SessionKitError) throw error;
      throw new RedisOperationError(operation, error);
    }
  }
}
