import { EventEmitter } from 'node:events';
import { toStoreClient, type RedisClient, type StoreClient } from './client/index.js';
import { CorruptSessionError, RedisOperationError, SessionKitError, SessionLimitError } from './errors.js';
import { handlesOfMember, isSealed, openPart, SEALED_PREFIX } from './encryption.js';
import { checkSessionId, encodeUserId, hashId, hashIdOfMember, isHandle, KeyLayout, normalizeUserId, sessionHandle } from './keys.js';
import { resolveOptions, type ResolvedOptions, type ResolvedStoreOptions, type SessionStoreOptions } from './options.js';
import { HEAD_BYTES, parseHeader, RECORD_MAGIC, storedKind, TOMBSTONE_PREFIX } from './record-format.js';
import { parseMeta, splitValue, toRecord, type SessionInfo, type SessionRecord, type StoredSession } from './records.js';
import { serialize } from './serializer.js';
import { ClusterNodes } from './topology/cluster.js';
import { SingleNode } from './topology/single-node.js';
import type { Topology, WriteOutcome } from './topology/types.js';
import {
  countOutcome,
  countingClient,
  isTraced,
  operationContext,
  publishEvent,
  readOutcome,
  revokeOutcome,
  sessionFields,
  touchOutcome,
  traced,
  writeOutcome,
} from './tracing.js';

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
  /**
   * Write only if the stored session is still at this `version` (as `get` returned it; 0 for a
   * session not found or written by another store). On a mismatch nothing is written and the
   * result carries the stored session (`reason: 'conflict'`), so the caller can merge and retry.
   * Omitted: write whatever is stored (last writer wins).
   */
  ifVersion?: number;
  /**
   * The owner the caller loaded, when it may differ from `userId` (a sign-in, a sign-out). Saves
   * a round trip on an owner change; wrong or omitted only costs that round trip.
   */
  previousUserId?: string | number | null;
}

export interface SetResult<T = unknown> {
  /** False when nothing was written: the ttl had run out (the session was deleted), the id was revoked, or `ifVersion` did not match. */
  stored: boolean;
  reason?: 'expired' | 'revoked' | 'conflict';
  createdAt?: number;
  expiresAt?: number;
  /** The version this write gave the session. */
  version?: number;
  /** When stored: the data as written (what a later merge of the same request compares with). */
  text?: string;
  /** With reason 'conflict': the session as stored now (null when it cannot be read). */
  current?: LoadedSession<T> | null;
}

/** A session as read, with its data as stored (the text `set`'s merging compares with). */
export interface LoadedSession<T = unknown> {
  record: SessionRecord<T>;
  text: string;
  /**
   * With `encryptionKeys`: the stored meta is in clear or under an older key. A save re-encrypts
   * the data always, the meta only when it sets it: pass `meta: record.meta` to move it too
   * (FrameworkStore does when its `meta` option gives none).
   */
  staleMeta?: true;
}

export interface InvalidateOptions {
  /** Session id(s) to keep, typically the current request's. */
  except?: string | string[];
}

export interface SessionStoreEvents {
  /**
   * A stored value could not be read; the session was treated as absent. Also a key of another
   * type found by logout-everywhere where a user's index (or its `:revoking` copy) belongs: it
   * was renamed to `<that key>:corrupt` (kept a day at most) and logout-everywhere went on; then
   * `idHash` is '' and `userId` and `key` say whose index and which key.
   */
  corrupt: [error: CorruptSessionError, info: { idHash: string; userId?: string; key?: string }];
  /** Logout-everywhere finished. */
  invalidate: [info: { userId: string; count: number }];
  /** maxSessionsPerUser pushed older sessions out. */
  evict: [info: { userId: string; idHashes: string[] }];
  /** A write to a destroyed or revoked id was refused. */
  'revoked-write': [info: { idHash: string }];
}

/** The longest ttl a write takes: a century (Infinity included). */
const MAX_TTL_MS = 100 * 365 * 86_400_000;

/** A record's two times (expiresAt, lastSeenAt) before the script puts Redis's in: 13 digits each. */
const UNSET_TIMES = '0'.repeat(26);

/** What a plain-id key holds once its session has moved to its hashed key: a tombstone, of a move. */
const MOVED_TOMBSTONE = `${TOMBSTONE_PREFIX}moved:`;

/** How long a clock offset is trusted before a read asks Redis's TIME again (NTP may step a clock). */
const CLOCK_RESYNC_MS = 60_000;

function isWrongType(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('WRONGTYPE');
}

function optionalOwner(userId: string | number | null | undefined): string | undefined {
  return userId === undefined ? undefined : userId === null ? '' : encodeUserId(normalizeUserId(userId));
}

/** A client failure as RedisOperationError with the cause attached; SessionKit's own errors as they are. */
function operationError(operation: string, error: unknown): unknown {
  return error instanceof SessionKitError ? error : new RedisOperationError(operation, error);
}

export class SessionStore<T = unknown> extends EventEmitter<SessionStoreEvents> {
  readonly options: Readonly<ResolvedOptions>;
  readonly keys: KeyLayout;
  /** The client seam: how commands and scripts reach Redis, whichever client library the app uses. */
  readonly redis: StoreClient;
  /** Redis's clock minus this process's, from the last reply that carried Redis's clock. */
  private redisClockOffset = 0;
  /** When (this process's clock) that offset was last taken; 0: never. */
  private clockSyncedAt = 0;
  /** Where the index is kept in step: in the same script (single node) or after it (cluster). */
  private readonly topology: Topology;
  /** Ids are hashed and sessions may still sit under their plain id (`legacyKeys`): look there too. */
  private readonly legacyKeys: boolean;

  /**
   * Whether `id` may have a session under its plain id. Never for an id of a handle's shape: its
   * plain-id key `<prefix><id>` is the hashed key of the session whose handle it is, so a handle
   * copied out of Redis would read, copy, tombstone or delete that session (issue 26: a copy of
   * Redis must give no usable session id). Generated ids are 32 characters, a handle 43.
   */
  private hasLegacyKey(id: string): boolean {
    return this.legacyKeys && !isHandle(id);
  }

  constructor(options: SessionStoreOptions | ResolvedStoreOptions) {
    super();
    this.options = Object.freeze(resolveOptions(options));
    this.keys = new KeyLayout(this.options.prefix, this.options.indexPrefix, this.options.hashIds);
    this.legacyKeys = this.options.hashIds && this.options.legacyKeys;
    this.redis = countingClient(toStoreClient(this.options.client));
    const { redis, keys, options: resolved } = this;
    this.topology = redis.cluster ? new ClusterNodes({ client: redis, keys, options: resolved }) : new SingleNode({ client: redis, keys, options: resolved });
  }

  /** The client the store was given (as connect-redis's `store.client`). */
  get client(): RedisClient {
    return this.options.client;
  }

  /** Writes a session and keeps the owner's index in step. */
  set(id: string, data: T, options: SetOptions = {}): Promise<SetResult<T>> {
    if (!isTraced('set')) return this.write(id, data, options);
    return traced(operationContext('set', sessionFields(id, options.userId)), () => this.write(id, data, options), writeOutcome);
  }

  private async write(id: string, data: T, options: SetOptions): Promise<SetResult<T>> {
    checkSessionId(id);
    const ttl = this.ttlOf(options.ttl);
    const userId = options.userId === undefined || options.userId === null ? undefined : normalizeUserId(options.userId);
    const owner = userId === undefined ? '' : encodeUserId(userId);
    const text = serialize(this.options.serializer, data, this.options.maxPayloadBytes);
    const [metaMode, metaText] = this.metaArgs(options.meta);
    if (options.createdAt !== undefined && !Number.isFinite(options.createdAt)) {
      throw new SessionKitError('ERR_INVALID_OPTION', `createdAt must be a time in ms, got ${String(options.createdAt)}`);
    }
    if (options.ifVersion !== undefined && !(Number.isInteger(options.ifVersion) && options.ifVersion >= 0)) {
      throw new SessionKitError('ERR_INVALID_OPTION', `ifVersion must be a non-negative integer, got ${String(options.ifVersion)}`);
    }
    const believedOwner = optionalOwner(options.previousUserId);
    const expect = options.ifVersion === undefined ? '' : String(options.ifVersion);
    const createdAt = options.createdAt === undefined ? '' : String(Math.floor(options.createdAt));
    const member = this.keys.member(id);
    // Encrypted at rest: the data, and the meta when this save sets it (kept meta stays as stored).
    const ring = this.options.encryptionKeys;
    const handle = ring && (this.options.hashIds ? member : sessionHandle(id));
    const storedText = handle ? ring.seal(text, handle, 'data') : text;
    const storedMeta = handle && metaMode === 'set' ? ring.seal(metaText, handle, 'meta') : metaText;
    const { record, dataAt, expected } = this.expectedRecord(storedText, owner, metaMode, storedMeta, expect, createdAt, believedOwner);
    const request = { id: member, text: storedText, ttl, owner, metaMode, metaText: storedMeta, believedOwner, expect, createdAt, record, dataAt, expected };
    // (A try here rather than `attempt`, whose closure is one more async step on every save.)
    let outcome: WriteOutcome;
    try {
      outcome = await this.topology.write(request);
      // Version 1: the hashed key held no session before this save. One may still sit under the
      // plain id (connect-redis's, or an earlier release's): this write replaces it, so retire it.
      if (this.hasLegacyKey(id) && outcome.status === 'ok' && outcome.version === 1) {
        const retired = await this.retireLegacy(id, [owner, believedOwner ?? '']);
        if (retired === 'revoked') {
          // Revoked (logout-everywhere, destroy) after its request loaded it: the copy just written must not outlive it.
          await this.topology.destroy(request.id, owner);
          outcome = { status: 'revoked' };
        }
      }
    } catch (error) {
      throw operationError('set', error);
    }
    const result = this.settleWrite(id, userId, outcome);
    if (result.stored) result.text = text;
    return result;
  }

  /**
   * Retires the session under the plain id `id` (what connect-redis and releases before hashed ids
   * wrote), once its hashed key holds it: a tombstone for `revokedTtl` (a request that loaded it
   * cannot write it back there), and its plain-id member leaves the indexes of `owners`. One
   * command when there is none (`SET ... XX GET` on a missing key). 'revoked' when a tombstone was
   * there: revoked meanwhile, so the hashed copy must go too.
   */
  private async retireLegacy(id: string, owners: readonly string[]): Promise<'none' | 'retired' | 'revoked'> {
    const key = this.keys.legacySession(id);
    const { revokedTtl } = this.options;
    // A tombstone to the scripts (they refuse to write there), marked as a move's: the save that
    // next finds it there is the moved session's own, not a write after a revocation.
    const command = revokedTtl > 0 ? ['SET', key, `${MOVED_TOMBSTONE}${this.redisTime()}`, 'PX', revokedTtl, 'XX', 'GET'] : ['GETDEL', key];
    let previous: unknown;
    try {
      previous = await this.redis.send(command, key);
    } catch (error) {
      // A key of another type: nothing of ours, and no session to retire.
      if (isWrongType(error)) return 'none';
      throw error;
    }
    if (previous === null || String(previous).startsWith(MOVED_TOMBSTONE)) return 'none';
    if (String(previous).startsWith(TOMBSTONE_PREFIX)) return 'revoked';
    const indexed = [...new Set(owners.filter((owner) => owner !== ''))];
    await Promise.all(indexed.map((owner) => this.topology.pruneIndex(owner, [id])));
    return 'retired';
  }

  /**
   * Moves a session from its plain-id key to its hashed key: copies the value with its expiry
   * (`SET ... NX`, so a concurrent move or save is never overwritten), indexes the handle under
   * the owner (the record's, or `owner` for a connect-redis string, which records none), then
   * retires the plain-id key and member. For `touch` and `sessionkit migrate`. 'kept': a
   * connect-redis string and no `owner` given (undefined), left where it is.
   */
  async moveLegacySession(id: string, owner?: string | number | null): Promise<'moved' | 'kept' | 'missing' | 'revoked'> {
    checkSessionId(id);
    // A handle-shaped id's "plain-id key" is another session's hashed key (see hasLegacyKey).
    if (!this.options.hashIds || isHandle(id)) return 'missing';
    const key = this.keys.legacySession(id);
    const hashed = this.keys.session(id);
    const member = this.keys.member(id);
    return this.attempt('moveLegacySession', async () => {
      let value: string | null;
      let pttl: number;
      try {
        [value, pttl] = (await Promise.all([this.redis.send(['GET', key], key), this.redis.send(['PTTL', key], key).then(Number)])) as [string | null, number];
      } catch (error) {
        if (isWrongType(error)) return 'missing';
        throw error;
      }
      const kind = value === null ? 'missing' : storedKind(value);
      if (value === null || pttl === -2 || kind === 'tombstone' || kind === 'missing') return 'missing';
      const header = kind === 'record' ? parseHeader(value) : undefined;
      // A connect-redis string records no owner: moved only when the caller says whose it is (null: nobody's).
      if (!header && owner === undefined) return 'kept';
      const encodedOwner = header ? header.owner : (optionalOwner(owner) ?? '');
      const expiry = pttl >= 0 ? ['PX', Math.max(pttl, 1)] : [];
      const copied = await this.redis.send(['SET', hashed, value, ...expiry, 'NX'], hashed);
      // Not copied: the hashed key holds a newer save, which indexed it with its own expiry; an
      // index entry here would put the old expiry back, and a listing would prune the live session.
      if (copied !== null && encodedOwner) {
        const score = header ? header.expiresAt : pttl >= 0 ? Date.now() + this.redisClockOffset + pttl : Number.MAX_SAFE_INTEGER;
        await this.topology.indexMember(encodedOwner, member, score);
      }
      const retired = await this.retireLegacy(id, [encodedOwner]);
      if (retired === 'revoked') {
        await this.topology.destroy(member, encodedOwner);
        return 'revoked';
      }
      return retired === 'retired' ? 'moved' : 'missing';
    });
  }

  /**
   * The record a save will write when what is stored is what its caller loaded (version `expect`,
   * created at `createdAt`, owned by `owner`, no meta when meta is kept), and what the script
   * compares the stored header with to know it is (see src/lua/includes/set-read.lua). Built here
   * so that the common save neither parses the header nor builds the record in Redis, where both
   * cost more; Redis only puts its own times in. When the caller cannot tell (no version or
   * createdAt loaded, or the owner changes), `expected` is '' and the script builds the record.
   */
  private expectedRecord(
    text: string,
    owner: string,
    metaMode: 'keep' | 'set' | 'clear',
    metaText: string,
    expect: string,
    createdAt: string,
    believedOwner: string | undefined,
  ): { record: string; dataAt: number; expected: string } {
    const known = expect !== '' && createdAt !== '' && (believedOwner === undefined || believedOwner === owner);
    const { absoluteTimeout } = this.options;
    const fields = `|${createdAt}|${absoluteTimeout > 0 && createdAt !== '' ? Number(createdAt) + absoluteTimeout : ''}|`;
    const meta = metaMode === 'set' ? metaText : '';
    const head = `${RECORD_MAGIC}${UNSET_TIMES}${fields}${known ? Number(expect) + 1 : 0}|${owner}|${meta.length}|${meta}`;
    return { record: head + text, dataAt: head.length, expected: known ? `${fields}${expect}|${owner}|${metaMode === 'keep' ? '0|' : ''}` : '' };
  }

  private settleWrite(id: string, userId: string | undefined, outcome: WriteOutcome): SetResult<T> {
    if (outcome.status === 'revoked') {
      this.emit('revoked-write', { idHash: hashId(id) });
      return { stored: false, reason: 'revoked' };
    }
    if (outcome.status === 'conflict') {
      return { stored: false, reason: 'conflict', current: this.loadedFrom(id, outcome.value || null) };
    }
    this.observeRedisClock(outcome.now);
    if (outcome.evicted.length && userId !== undefined)
      this.emit('evict', { userId, idHashes: outcome.evicted.map(this.options.hashIds ? hashIdOfMember : hashId) });
    if (outcome.status === 'limit') throw new SessionLimitError(this.options.maxSessionsPerUser);
    if (outcome.status === 'expired') return { stored: false, reason: 'expired' };
    return { stored: true, createdAt: outcome.createdAt, expiresAt: outcome.expiresAt, version: outcome.version };
  }

  /** The session, or null when absent, expired, revoked or unreadable (which also emits 'corrupt'). */
  async get(id: string): Promise<SessionRecord<T> | null> {
    return (await this.load(id))?.record ?? null;
  }

  /**
   * The session with its stored data text, for callers that merge concurrent saves (the framework
   * adapters): one plain GET, no script. Redis never returns a key past its PEXPIREAT, which the
   * scripts set to the recorded expiry, so no clock is compared here: an app server whose clock
   * runs fast must not end live sessions.
   */
  load(id: string): Promise<LoadedSession<T> | null> {
    if (!isTraced('get')) return this.read(id);
    return traced(operationContext('get', sessionFields(id)), () => this.read(id), readOutcome);
  }

  private async read(id: string): Promise<LoadedSession<T> | null> {
    checkSessionId(id);
    const loaded = await this.loadAt(id, this.keys.session(id));
    // Not under the hashed key: with legacyKeys, it may still sit under its plain id (a session of
    // connect-redis or of a release before hashed ids), read as it is; the next write moves it.
    // One GET more, on a miss only: a request with no session at all pays it too.
    if (loaded === null && this.hasLegacyKey(id)) return this.loadAt(id, this.keys.legacySession(id));
    return loaded;
  }

  /** `scanned`: `id` is what names the key (a scan's member), not a session id. */
  private async loadAt(id: string, key: string, scanned = false): Promise<LoadedSession<T> | null> {
    // (A try here rather than `attempt`, whose closure is one more async step on every read.)
    let value: string | null | CorruptSessionError;
    try {
      // A process that only reads would never learn Redis's clock from a write's reply: ask for
      // it beside the read (same round trip) when it is unknown or older than CLOCK_RESYNC_MS.
      const sync = Date.now() - this.clockSyncedAt > CLOCK_RESYNC_MS ? this.syncRedisClock() : undefined;
      // Promise.all only when the clock is due: on every other read it would allocate for nothing.
      const reply = sync === undefined ? await this.redis.send(['GET', key], key) : (await Promise.all([this.redis.send(['GET', key], key), sync]))[0];
      value = reply as string | null;
    } catch (error) {
      if (!isWrongType(error)) throw operationError('get', error);
      value = new CorruptSessionError('session key holds a Redis value that is not a string, not a session');
    }
    if (value instanceof CorruptSessionError) return this.reportCorrupt(id, value);
    let loaded: LoadedSession<T> | null;
    try {
      loaded = this.loadedFrom(id, value, true, scanned);
    } catch (error) {
      if (!(error instanceof CorruptSessionError)) throw error;
      return this.reportCorrupt(id, error);
    }
    if (loaded?.record.legacy) {
      // A connect-redis string: its expiry is only in Redis's TTL (rare; once per such session).
      const pttl = Number(await this.attempt('get', () => this.redis.send(['PTTL', key], key)));
      if (pttl === -2) return null;
      loaded.record.expiresAt = pttl >= 0 ? loaded.record.createdAt + pttl : Number.MAX_SAFE_INTEGER;
    }
    return loaded;
  }

  private reportCorrupt(id: string, error: CorruptSessionError): null {
    this.emit('corrupt', error, { idHash: hashId(id) });
    return null;
  }

  /**
   * Parses a stored value; `strict` throws CorruptSessionError, otherwise it is reported and null.
   * `scanned` as for loadAt.
   */
  private loadedFrom(id: string, value: string | null, strict = false, scanned = false): LoadedSession<T> | null {
    const report = (error: CorruptSessionError) => this.emit('corrupt', error, { idHash: hashId(id) });
    try {
      const stored = splitValue(value);
      if (!stored) return null;
      const now = this.redisTime();
      const staleMeta = this.isStale(stored.meta);
      if (stored.header) this.openParts(stored, scanned ? () => handlesOfMember(id) : () => [sessionHandle(id)]);
      const record = toRecord(id, stored, this.options.serializer, report, { now, expiresAt: Number.MAX_SAFE_INTEGER }) as SessionRecord<T>;
      return staleMeta && record.meta ? { record, text: stored.text, staleMeta } : { record, text: stored.text };
    } catch (error) {
      if (strict || !(error instanceof CorruptSessionError)) throw error;
      report(error);
      return null;
    }
  }

  /**
   * For `sessionkit reencrypt`: `value`, the record at the key `member` names, with its meta and
   * data encrypted under the current key (the first of `encryptionKeys`); null when there is
   * nothing to do (every part under the current key already, or not a record: a tombstone, a
   * connect-redis string, which its next save rewrites). The header is kept byte for byte. Throws
   * CorruptSessionError for a record that does not open, and ERR_CONFIG without `encryptionKeys`.
   */
  resealed(member: string, value: string): string | null {
    const ring = this.options.encryptionKeys;
    if (!ring) throw new SessionKitError('ERR_CONFIG', 'reencrypting needs encryptionKeys (the first one is the key records are rewritten under)');
    const stored = splitValue(value);
    if (!stored?.header) return null;
    const meta = stored.meta ?? '';
    const current = `${SEALED_PREFIX}${ring.currentId}`;
    if (stored.text.startsWith(current) && (meta === '' || meta.startsWith(current))) return null;
    // The handle that opens a sealed part is the one to seal with; parts all in clear take the
    // store's layout's (with hashIds a handle-shaped member is a handle).
    let handle = this.options.hashIds && isHandle(member) ? member : sessionHandle(member);
    const open = (text: string, part: 'meta' | 'data') => {
      if (!isSealed(text)) return text;
      let failure: unknown;
      for (const candidate of handlesOfMember(member)) {
        try {
          const plain = ring.open(text, candidate, part);
          handle = candidate;
          return plain;
        } catch (error) {
          failure = error;
        }
      }
      throw failure;
    };
    const data = open(stored.text, 'data');
    const plainMeta = meta === '' ? '' : open(meta, 'meta');
    const sealedMeta = plainMeta === '' ? '' : ring.seal(plainMeta, handle, 'meta');
    const header = value.slice(0, stored.header.metaAt);
    // The meta's length is the header's last field: rewrite it for the sealed meta's.
    const head = header.replace(/\|\d+\|$/, `|${sealedMeta.length}|`);
    return head + sealedMeta + ring.seal(data, handle, 'data');
  }

  /** True for a stored meta that a save should seal again: in clear or under an older key. */
  private isStale(meta: string | undefined): boolean {
    const ring = this.options.encryptionKeys;
    return ring !== undefined && !!meta && !(isSealed(meta) && meta.startsWith(ring.currentId, SEALED_PREFIX.length));
  }

  /**
   * Decrypts a record's sealed meta and data in place (a part in clear, written before encryption
   * was turned on, passes as it is; the next write seals it). A part that fails authentication
   * makes the whole session corrupt: it was changed or copied, and nothing of it is trusted.
   */
  private openParts(stored: StoredSession, handles: () => readonly string[]): void {
    const ring = this.options.encryptionKeys;
    stored.text = openPart(ring, stored.text, handles, 'data');
    if (stored.meta) stored.meta = openPart(ring, stored.meta, handles, 'meta');
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
    if (typeof redisNow !== 'number' || !Number.isFinite(redisNow)) return;
    this.redisClockOffset = redisNow - Date.now();
    this.clockSyncedAt = Date.now();
  }

  /** Never fails: a read must not fail for the clock's sake, and the next read tries again. */
  private async syncRedisClock(): Promise<void> {
    this.clockSyncedAt = Date.now(); // one TIME in flight at a time
    try {
      const [seconds, micros] = (await this.redis.send(['TIME'])) as [string, string];
      this.observeRedisClock(Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    } catch {
      this.clockSyncedAt = 0;
    }
  }

  /**
   * Slides the expiry to now + ttl (capped by the absolute timeout). Returns the new expiry, or
   * null if there is no session. Pass the owner `get` returned as `userId`: on a single node the
   * script names the owner's index, and an owner it was not told costs a second round trip.
   */
  touch(id: string, options: { ttl?: number; userId?: string | number | null } = {}): Promise<number | null> {
    if (!isTraced('touch')) return this.slide(id, options);
    return traced(operationContext('touch', sessionFields(id, options.userId)), () => this.slide(id, options), touchOutcome);
  }

  private async slide(id: string, options: { ttl?: number; userId?: string | number | null }): Promise<number | null> {
    checkSessionId(id);
    const ttl = this.ttlOf(options.ttl);
    const believed = optionalOwner(options.userId);
    return this.attempt('touch', async () => {
      let outcome = await this.topology.touch(this.keys.member(id), ttl, believed);
      if (outcome.status === 'missing' && this.hasLegacyKey(id)) {
        // Under its plain id still: a record moves to its hashed key, then the touch goes there; a
        // connect-redis string (its owner unknown here) only gets its TTL moved, as before, and
        // moves with the save that rewrites it as a record.
        const moved = await this.moveLegacySession(id);
        outcome = await this.topology.touch(moved === 'kept' ? id : this.keys.member(id), ttl, believed);
      }
      this.observeRedisClock(outcome.now);
      return outcome.status === 'ok' ? outcome.expiresAt : null;
    });
  }

  /**
   * Deletes a session (leaving a short-lived tombstone, see `revokedTtl`). True if there was one.
   * `userId`, the owner `get` returned, saves a round trip on a single node, as for `touch`.
   */
  destroy(id: string, options: { userId?: string | number | null } = {}): Promise<boolean> {
    if (!isTraced('destroy')) return this.remove(id, options);
    return traced(operationContext('destroy', sessionFields(id, options.userId)), () => this.remove(id, options), revokeOutcome);
  }

  private async remove(id: string, options: { userId?: string | number | null }): Promise<boolean> {
    checkSessionId(id);
    const believed = optionalOwner(options.userId);
    return this.attempt('destroy', async () => {
      const member = this.keys.member(id);
      // A session still under its plain id is destroyed there too: the read would find it otherwise.
      if (!this.hasLegacyKey(id)) return this.topology.destroy(member, believed);
      const [hashed, legacy] = await Promise.all([this.topology.destroy(member, believed), this.topology.destroy(id, believed)]);
      return hashed || legacy;
    });
  }

  /**
   * Revokes one session, only if it belongs to `userId`: the safe way to offer "sign out that
   * device" to a user, who can never name another user's session through it.
   */
  revokeUserSession(userId: string | number, id: string): Promise<boolean> {
    if (!isTraced('revokeUserSession')) return this.revokeOwned(userId, id);
    return traced(operationContext('revokeUserSession', sessionFields(id, userId)), () => this.revokeOwned(userId, id), revokeOutcome);
  }

  private async revokeOwned(userId: string | number, id: string): Promise<boolean> {
    checkSessionId(id);
    const owner = encodeUserId(normalizeUserId(userId));
    return this.attempt('revokeUserSession', async () => {
      // `id` is what listUserSessions returned (a handle, or the plain id of a session not moved
      // yet), or a session id, whose handle names it: both are tried, and only a session of this
      // user is revoked either way (a handle hashed again names no key).
      if (!this.options.hashIds) return this.topology.revokeUserSession(owner, id);
      const results = await Promise.all([this.topology.revokeUserSession(owner, id), this.topology.revokeUserSession(owner, this.keys.member(id))]);
      return results.some(Boolean);
    });
  }

  /**
   * What `listUserSessions` and `ids` return for a session id: its handle (the SHA-256 of the id,
   * base64url), or the id itself with `hashIds: false`. Compare a listed session's `id` with
   * `sessionHandle(currentId)` to find the current one.
   */
  sessionHandle(id: string): string {
    checkSessionId(id);
    return this.keys.member(id);
  }

  /**
   * Puts a session connect-redis wrote (a plain JSON string) into `userId`'s index without
   * rewriting it, so that logout-everywhere reaches it before its user comes back, and
   * connect-redis can still read it (a migration can roll back). Idempotent. For `sessionkit migrate`.
   */
  async indexLegacySession(id: string, userId: string | number): Promise<'indexed' | 'already' | 'not-legacy' | 'missing'> {
    checkSessionId(id);
    const owner = encodeUserId(normalizeUserId(userId));
    return this.attempt('indexLegacySession', () => this.topology.indexLegacy(id, owner));
  }

  /**
   * The user's live sessions, most recently seen first. Stale index entries found on the way are
   * removed. A connect-redis session that `indexLegacySession` indexed is listed with `legacy:
   * true` and times of 0 but its expiry (it records none).
   */
  listUserSessions(userId: string | number): Promise<(SessionInfo & { legacy?: true })[]> {
    if (!isTraced('listUserSessions')) return this.listOwned(userId);
    return traced(operationContext('listUserSessions', sessionFields(undefined, userId)), () => this.listOwned(userId), countOutcome);
  }

  private async listOwned(userId: string | number): Promise<(SessionInfo & { legacy?: true })[]> {
    const owner = encodeUserId(normalizeUserId(userId));
    return this.attempt('listUserSessions', async () => {
      const entries = await this.topology.listIndex(owner);
      const heads = await Promise.all(entries.map(({ id }) => this.readHead(this.keys.sessionAt(id))));
      const sessions: (SessionInfo & { legacy?: true })[] = [];
      const stale: string[] = [];
      heads.forEach((head, i) => {
        const { id, expiresAt } = entries[i]!;
        const info = head === null ? undefined : this.infoFromHead(id, head, owner, expiresAt);
        if (info) sessions.push(info);
        else stale.push(id);
      });
      if (stale.length) await this.topology.pruneIndex(owner, stale);
      return sessions.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    });
  }

  /**
   * The start of a session value: its header and meta, never its data. Null for a key that is
   * not a string (a stale entry); any other failure must fail the listing, or a Redis hiccup
   * would unindex live sessions.
   */
  private async readHead(key: string): Promise<string | null> {
    try {
      let head = (await this.redis.send(['GETRANGE', key, 0, HEAD_BYTES - 1], key)) as string;
      const header = parseHeader(head);
      const metaEnd = header ? header.metaAt + header.metaLength : 0;
      if ((!header && head.length === HEAD_BYTES && storedKind(head) === 'record') || metaEnd > head.length) {
        head = (await this.redis.send(['GET', key], key)) as string;
      }
      return head;
    } catch (error) {
      if (isWrongType(error)) return null;
      throw error;
    }
  }

  private infoFromHead(id: string, head: string, owner: string, score: number): (SessionInfo & { legacy?: true }) | undefined {
    const kind = storedKind(head);
    // Indexed by indexLegacySession: only its index entry says whose it is, and when it ends.
    if (kind === 'legacy') return { id, createdAt: 0, lastSeenAt: 0, expiresAt: score, legacy: true };
    const header = kind === 'record' ? parseHeader(head) : undefined;
    if (!header || header.owner !== owner) return undefined;
    const info: SessionInfo = { id, createdAt: header.createdAt, expiresAt: header.expiresAt, lastSeenAt: header.lastSeenAt };
    if (header.absoluteExpiresAt !== undefined) info.absoluteExpiresAt = header.absoluteExpiresAt;
    try {
      const stored = head.slice(header.metaAt, header.metaAt + header.metaLength);
      const meta = parseMeta(openPart(this.options.encryptionKeys, stored, () => handlesOfMember(id), 'meta'));
      if (meta) info.meta = meta;
    } catch (error) {
      this.emit('corrupt', error as CorruptSessionError, { idHash: this.options.hashIds ? hashIdOfMember(id) : hashId(id) });
    }
    return info;
  }

  /** Live entries in the user's index (expired ones are pruned first). */
  async countUserSessions(userId: string | number): Promise<number> {
    const owner = encodeUserId(normalizeUserId(userId));
    return this.attempt('countUserSessions', () => this.topology.countIndex(owner));
  }

  /**
   * Logout-everywhere. Atomically moves the user's index aside (keeping `except`), then revokes
   * every session in it. Single node: one round trip for up to `revokeChunkSize` sessions, one
   * more (a pipeline of chunks) beyond that; each chunk is one short script. Any session whose
   * write completed before this call began is revoked; a write that lands later can not bring a
   * revoked id back (tombstone). Returns how many live sessions were revoked.
   */
  invalidateAllUserSessions(userId: string | number, options: InvalidateOptions = {}): Promise<number> {
    if (!isTraced('invalidateAllUserSessions')) return this.revokeEverywhere(userId, options);
    return traced(operationContext('invalidateAllUserSessions', sessionFields(undefined, userId)), () => this.revokeEverywhere(userId, options), countOutcome);
  }

  private async revokeEverywhere(userId: string | number, options: InvalidateOptions): Promise<number> {
    const normalized = normalizeUserId(userId);
    const owner = encodeUserId(normalized);
    const except = options.except === undefined ? [] : Array.isArray(options.except) ? options.except : [options.except];
    for (const id of except) checkSessionId(id);
    // Keep each id's handle, and its plain id too while sessions may still be listed under it.
    const kept = except.flatMap((id) => (this.hasLegacyKey(id) ? [this.keys.member(id), id] : [this.keys.member(id)]));
    const setAside = (key: string) => {
      const role = key.endsWith(':revoking') ? "logout-everywhere's draining key" : 'index';
      const error = new CorruptSessionError(
        `the ${role} of user ${JSON.stringify(normalized)}, ${key}, held a Redis value that is not a sorted set; ` +
          `it was renamed to ${key}:corrupt (kept a day at most) and logout-everywhere went on without it`,
      );
      this.emit('corrupt', error, { idHash: '', userId: normalized, key });
    };
    const count = await this.attempt('invalidateAllUserSessions', () => this.topology.revokeAll(owner, kept, setAside));
    this.emit('invalidate', { userId: normalized, count });
    return count;
  }

  /**
   * Every live session, by what names its key: its handle (see `sessionHandle`), or the plain id
   * of a session not moved yet (SCAN on every master; for admin tools, not for request paths).
   */
  async ids(): Promise<string[]> {
    return this.attempt('ids', async () => {
      const ids: string[] = [];
      for await (const [node, keys] of this.scan(this.keys.sessionPattern())) {
        const heads = await node.sendAll(keys.map((key) => ['GETRANGE', key, 0, 1]));
        keys.forEach((key, i) => {
          const head = heads[i];
          if (head instanceof Error && !isWrongType(head)) throw head;
          if (typeof head === 'string' && head !== '' && !head.startsWith('!')) ids.push(key.slice(this.options.prefix.length));
        });
      }
      return ids;
    });
  }

  /** Every live session. Unreadable ones are skipped (and reported through 'corrupt'). */
  async all(): Promise<SessionRecord<T>[]> {
    const members = await this.ids();
    const loaded = await Promise.all(members.map((member) => this.loadAt(member, this.keys.sessionAt(member), true)));
    return loaded.flatMap((session) => (session ? [session.record] : []));
  }

  async length(): Promise<number> {
    return (await this.ids()).length;
  }

  /** Deletes every session, tombstone and index under this store's prefixes. Returns keys removed. */
  async clear(): Promise<number> {
    return this.attempt('clear', async () => {
      let removed = 0;
      for (const pattern of [this.keys.sessionPattern(), this.keys.indexPattern()]) {
        for await (const [node, keys] of this.scan(pattern)) {
          // One key per command: keys of one SCAN batch sit in many slots.
          for (const reply of await node.sendAll(keys.map((key) => ['UNLINK', key]))) {
            if (reply instanceof Error) throw reply;
            removed += Number(reply);
          }
        }
      }
      return removed;
    });
  }

  /** SCAN over every master for a MATCH pattern; yields each batch with the node it came from. */
  private async *scan(pattern: string) {
    for (const node of this.redis.masters()) {
      let cursor = '0';
      do {
        const [next, keys] = (await node.send(['SCAN', cursor, 'MATCH', pattern, 'COUNT', this.options.scanCount])) as [string, string[]];
        cursor = String(next);
        if (keys.length) yield [node, keys.map(String)] as const;
      } while (cursor !== '0');
    }
  }

  private ttlOf(ttl: number | undefined): number {
    if (ttl === undefined) return this.options.ttl;
    if (typeof ttl !== 'number' || Number.isNaN(ttl)) {
      throw new SessionKitError('ERR_INVALID_OPTION', `ttl must be a number of milliseconds, got ${String(ttl)}`);
    }
    // Redis needs integers; anything non-positive means "expired now". A record's times have 13
    // digits (until the year 2286): "forever" is a century, as disableTTL's.
    return Math.max(0, Math.ceil(Math.min(ttl, MAX_TTL_MS)));
  }

  private metaArgs(meta: SetOptions['meta']): ['keep' | 'set' | 'clear', string] {
    if (meta === undefined) return ['keep', ''];
    if (meta === null) return ['clear', ''];
    if (typeof meta !== 'object' || Array.isArray(meta)) {
      throw new SessionKitError('ERR_INVALID_OPTION', 'meta must be a plain object, null or undefined');
    }
    // ASCII only (\uXXXX escapes): the record stores meta's length in bytes, and readers slice
    // the decoded string, where a character is not always one byte.
    const text = serialize({ stringify: JSON.stringify, parse: JSON.parse }, meta, 16_384);
    return ['set', text.replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)];
  }

  /** Every event is also published on its diagnostics channel, `sessionkit:<event>` (tracing.ts). */
  override emit<K extends keyof SessionStoreEvents>(event: K, ...args: SessionStoreEvents[K]): boolean {
    publishEvent(event, args);
    return super.emit(event, ...(args as never));
  }

  /** Runs Redis work, turning client failures into RedisOperationError with the cause attached. */
  private async attempt<R>(operation: string, work: () => Promise<R>): Promise<R> {
    try {
      return await work();
    } catch (error) {
      throw operationError(operation, error);
    }
  }
}
