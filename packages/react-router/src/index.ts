import { randomBytes } from 'node:crypto';
import {
  createSessionStorage as createRouterSessionStorage,
  type FlashSessionData,
  type SessionData,
  type SessionIdStorageStrategy,
  type SessionStorage,
} from 'react-router';
import {
  applyChanges,
  changesSince,
  checkedOwner,
  CorruptSessionError,
  defaultOwner,
  hashId,
  SessionKitError,
  SessionStore,
  type FrameworkStoreOptions,
  type InvalidateOptions,
  type SessionInfo,
  type SessionStoreOptions,
} from '@sessionkit/core';

/** What a commit hands to the store and what reaches Redis: `session.data`, flash entries included. */
type StoredData = Record<string, unknown>;

/**
 * The options of `createSessionStorage` (`cookie`), the store options every SessionKit adapter
 * takes (see FrameworkStoreOptions in @sessionkit/core for each one's meaning and default), and
 * the React Router specific ones below.
 */
export interface RedisSessionStorageOptions<Data = SessionData, FlashData = Data>
  extends Pick<
    FrameworkStoreOptions,
    | 'client'
    | 'store'
    | 'prefix'
    | 'indexPrefix'
    | 'absoluteTimeout'
    | 'maxSessionsPerUser'
    | 'sessionLimitPolicy'
    | 'serializer'
    | 'maxPayloadBytes'
    | 'revokedTtl'
    | 'revokeChunkSize'
    | 'scanCount'
    | 'touchAfter'
    | 'mergeSaves'
  > {
  /** The cookie that carries the session id, or options for one (as `createSessionStorage`). Sign it: give it `secrets`. */
  cookie?: SessionIdStorageStrategy<Data, FlashData>['cookie'];
  /**
   * Idle timeout in SECONDS for a commit whose cookie has no expiry (no `maxAge` or `expires` on
   * the cookie or in `commitSession`'s options). With one, the session lives until the cookie
   * expires. Default 86 400.
   */
  ttl?: number;
  /**
   * Finds the owner in the session data. Default: `data.userId`, then `data.user.id`, then
   * `data.passport.user`, the first that is a non-empty string or a finite number (as every
   * SessionKit store). Anything else it returns but a string, a finite number, null or undefined
   * fails the commit with `ERR_INVALID_USER_ID`.
   */
  userId?: (data: FlashSessionData<Data, FlashData>) => string | number | null | undefined;
  /** Device details kept beside the session for `listUserSessions`. Default: none (stored meta is kept). */
  meta?: (data: FlashSessionData<Data, FlashData>) => Record<string, unknown> | null | undefined;
  /**
   * The framework's `createSessionStorage`. Default: React Router's. Remix 2 apps pass the one
   * from `@remix-run/node` (the same contract).
   */
  createSessionStorage?: (strategy: SessionIdStorageStrategy<Data, FlashData>) => SessionStorage<Data, FlashData>;
}

/** React Router's `SessionStorage`, plus the per-user API. */
export interface RedisSessionStorage<Data = SessionData, FlashData = Data> extends SessionStorage<Data, FlashData> {
  /** The core store: admin calls (ids, all, length, clear) and events ('corrupt', 'invalidate', 'evict', 'revoked-write'). */
  readonly core: SessionStore<StoredData>;
  /** The user's live sessions (id, createdAt, lastSeenAt, expiresAt, meta), most recently seen first. */
  listUserSessions(userId: string | number): Promise<SessionInfo[]>;
  /** Revokes session `id` only if it belongs to `userId`; false otherwise (nothing happens). */
  revokeUserSession(userId: string | number, id: string): Promise<boolean>;
  /**
   * Logout-everywhere: revokes every session of `userId` except the ids in `except` (typically
   * `session.id`, for "sign out my other devices"). Resolves with the number revoked.
   */
  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number>;
  countUserSessions(userId: string | number): Promise<number>;
}

/** What a read saw, held until the same request commits (per process, bounded, short-lived). */
interface Loaded {
  id: string;
  at: number;
  /** The data as stored: a commit that serializes to the same text changes nothing. */
  text: string;
  /** The stored version, which a save carries to merge with saves that landed meanwhile. */
  version: number;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt?: number;
  userId?: string;
}

/**
 * Set by readData on the data it returns (a token naming that load) and removed by getSession
 * before the app sees it, which tells "the cookie names a live session" from "the cookie names
 * nothing" (the framework builds the same empty session for both). commitSession puts it back for
 * the length of the framework's synchronous read of `session.data`, so that updateData knows which
 * load it saves, even with several requests on one session in one process.
 */
const LIVE = '__sessionkit_live__';
const LOADED_LIMIT = 10_000;
const LOADED_MAX_AGE_MS = 30_000;
const ID_ATTEMPTS = 3;
/** Conflicting saves retried before giving up: one more per save that landed in between. */
const MERGE_ATTEMPTS = 64;
/** An unchanged commit that would move the expiry back by less than this is not worth a write. */
const SHORTEN_TOLERANCE_MS = 1_000;

function positiveSeconds(ttl: unknown): number {
  if (ttl === undefined) return 86_400;
  if (typeof ttl !== 'number' || !(ttl > 0)) {
    throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds, got ${String(ttl)}`);
  }
  return ttl;
}

/**
 * A React Router (or Remix 2) `SessionStorage` on Redis, built on the framework's own
 * `createSessionStorage`: the cookie holds only a random id, the data lives in Redis with a
 * sliding TTL, and each session is indexed under its owner, which gives `listUserSessions`,
 * `revokeUserSession` and `invalidateAllUserSessions`.
 *
 * - A cookie that names no live session (expired, revoked, forged) yields a new, empty session
 *   whose first commit gets a fresh id: `commitSession` never writes an id it did not create or
 *   load, so a revoked id cannot come back and a planted one is never adopted.
 * - A commit that changes nothing only slides the expiry, and only once `touchAfter` has passed,
 *   so apps that commit on every request still cost one Redis command per request.
 * - A commit racing a revocation (revoke, logout-everywhere, destroySession elsewhere) is refused
 *   by the store's tombstone: revocation wins. `updateData` never creates a session.
 */
export function createRedisSessionStorage<Data = SessionData, FlashData = Data>(
  options: RedisSessionStorageOptions<Data, FlashData>,
): RedisSessionStorage<Data, FlashData> {
  if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'options are required: { cookie, client }');
  const { cookie, ttl, userId, meta, touchAfter, mergeSaves = true, store, createSessionStorage = createRouterSessionStorage, ...storeOptions } = options;
  const fallbackTtl = positiveSeconds(ttl) * 1000;
  if (touchAfter !== undefined && !(touchAfter >= 0)) {
    throw new SessionKitError('ERR_CONFIG', `option touchAfter must be a non-negative number of ms, got ${String(touchAfter)}`);
  }
  const core =
    (store as SessionStore<StoredData> | undefined) ??
    new SessionStore<StoredData>({ ...storeOptions, client: storeOptions.client as SessionStoreOptions['client'], ttl: fallbackTtl });
  const findOwner = (userId ?? defaultOwner) as (data: StoredData) => unknown;
  const findMeta = meta as ((data: StoredData) => Record<string, unknown> | null | undefined) | undefined;
  // The owner as every SessionKit store finds and checks it: a finder that returns an object, NaN
  // or Infinity fails the commit with ERR_INVALID_USER_ID rather than indexing "[object Object]".
  const ownerOf = (data: StoredData): string | undefined => checkedOwner(findOwner(data));
  /** The TTL in ms a commit asks for: until the cookie expires, else the `ttl` option. */
  const ttlOf = (expires: Date | undefined): number => {
    const at = expires instanceof Date ? expires.getTime() : NaN;
    // An unusable expiry (an invalid Date) is no expiry: the `ttl` option applies.
    return Number.isFinite(at) ? at - Date.now() : fallbackTtl;
  };
  const touchAfterFor = (ms: number) => touchAfter ?? Math.min(60_000, ms / 10);

  /** What each load saw, by token, until its request commits (bounded, and only for a while). */
  const loads = new Map<string, Loaded>();
  /** The owner each id was last loaded with: a hint for deleteData (a wrong one costs a round trip). */
  const owners = new Map<string, string | null>();
  /** The token of each session getSession handed out. */
  const tokens = new WeakMap<object, string>();
  let nextToken = 0;
  const bounded = <K, V>(map: Map<K, V>, key: K, value: V) => {
    map.delete(key);
    if (map.size >= LOADED_LIMIT) map.delete(map.keys().next().value as K);
    map.set(key, value);
  };
  // A load this recent is still covered by the tombstone of any revocation that followed it (a
  // revocation after the load leaves a tombstone for revokedTtl): a save may then rely on it.
  const freshFor = Math.min(LOADED_MAX_AGE_MS, core.options.revokedTtl / 2);
  /** The load a commit's data names, if it is this id's; the token leaves the data. */
  const loadOf = (id: string, record: StoredData): { token?: string; before?: Loaded; fresh: boolean } => {
    const token = record[LIVE];
    delete record[LIVE];
    if (typeof token !== 'string') return { fresh: false };
    const entry = loads.get(token);
    if (!entry || entry.id !== id) return { fresh: false };
    return { token, before: entry, fresh: Date.now() - entry.at < freshFor };
  };

  /**
   * A full save. With `ifVersion`, it writes only if no other save landed since this request
   * loaded the session; otherwise it applies this request's own changes (the top-level keys it
   * set, replaced or deleted, against `base`) on top of what is stored now, and tries again.
   */
  async function save(
    id: string,
    record: StoredData,
    ttl: number,
    at: { createdAt: number; previousUserId: string | null; ifVersion?: number; base?: string },
  ): Promise<{ data: StoredData; result: Awaited<ReturnType<typeof core.set>> }> {
    let data = record;
    let version = at.ifVersion;
    let previousUserId: string | null | undefined = at.previousUserId;
    let changes: ReturnType<typeof changesSince> | undefined;
    for (let attempt = 1; ; attempt++) {
      const details = findMeta?.(data);
      // The store's set refuses a destroyed or revoked id (its tombstone): revocation wins.
      const result = await core.set(id, data, {
        ttl,
        userId: ownerOf(data) ?? null,
        ...(details === undefined ? {} : { meta: details }),
        createdAt: at.createdAt,
        ...(previousUserId === undefined ? {} : { previousUserId }),
        ...(version === undefined ? {} : { ifVersion: version }),
      });
      if (result.reason !== 'conflict') return { data, result };
      if (attempt >= MERGE_ATTEMPTS) {
        throw new SessionKitError('ERR_CONFLICT', `session save gave up after ${attempt} conflicting saves of the same session`);
      }
      changes ??= changesSince(at.base!, core.options.serializer, record);
      const current = result.current;
      data = applyChanges<StoredData>(current?.record.data, changes);
      // Unreadable now (reported as 'corrupt'): nothing to merge with, so write over it.
      version = current ? current.record.version : undefined;
      previousUserId = current ? (current.record.userId ?? null) : undefined;
    }
  }

  const strategy: SessionIdStorageStrategy<Data, FlashData> = {
    cookie,

    async createData(data, expires) {
      const record = data as StoredData;
      delete record[LIVE];
      const owner = ownerOf(record);
      const details = findMeta?.(record);
      for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        const id = randomBytes(24).toString('base64url');
        // 192 random bits do not collide; this read (one round trip, once per new session) makes
        // sure that even a broken random source never hands one user another's session.
        if ((await core.get(id)) !== null) continue;
        const result = await core.set(id, record, {
          ttl: ttlOf(expires),
          userId: owner ?? null,
          ...(details === undefined ? {} : { meta: details }),
          previousUserId: null, // a new id has no owner yet, which saves the script a round trip
        });
        // 'revoked': the id is a tombstone, as good as taken. 'expired' (the cookie's expiry has
        // passed): nothing is stored, and the cookie lapses with it.
        if (result.stored || result.reason !== 'revoked') return id;
      }
      throw new SessionKitError('ERR_INVALID_ID', `no unused session id in ${ID_ATTEMPTS} attempts: is the random source broken?`);
    },

    async readData(id) {
      let loadedSession: Awaited<ReturnType<typeof core.load>>;
      try {
        loadedSession = await core.load(id);
      } catch (error) {
        // A cookie value that cannot be an id (an unsigned cookie someone wrote) names nothing.
        if (error instanceof SessionKitError && error.code === 'ERR_INVALID_ID') return null;
        throw error;
      }
      if (!loadedSession) return null;
      const { record, text } = loadedSession;
      const data = record.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        core.emit('corrupt', new CorruptSessionError('stored session is not an object'), { idHash: hashId(id) });
        return null;
      }
      // The stored text, not this object: the framework's session shares nested values with it,
      // and an in-place change to them must still count as a change. A record another store
      // wrote (connect-redis) is not remembered, so its first commit rewrites it in our format.
      owners.delete(id);
      owners.set(id, record.userId ?? null);
      if (owners.size > LOADED_LIMIT) owners.delete(owners.keys().next().value as string);
      const token = String(++nextToken);
      if (!record.legacy) {
        bounded(loads, token, {
          id,
          at: Date.now(),
          text,
          version: record.version,
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
          ...(record.absoluteExpiresAt === undefined ? {} : { absoluteExpiresAt: record.absoluteExpiresAt }),
          ...(record.userId === undefined ? {} : { userId: record.userId }),
        });
      }
      data[LIVE] = token;
      return data as FlashSessionData<Data, FlashData>;
    },

    async updateData(id, data, expires) {
      const record = data as StoredData;
      const { token, before, fresh } = loadOf(id, record);
      const ttl = ttlOf(expires);
      const owner = ownerOf(record);
      if (before && fresh && ttl > 0 && before.userId === owner && before.text === core.options.serializer.stringify(record)) {
        // Nothing changed but the expiry. Move it only when that is worth a write: forward by
        // touchAfter or more, or back (a shorter maxAge in this commit). Redis's clock, as the
        // stored expiry's. The touch refuses a destroyed or revoked id, like the set below.
        const target = Math.min(core.redisTime() + ttl, before.absoluteExpiresAt ?? Infinity);
        const moved = target - before.expiresAt;
        if (moved > -SHORTEN_TOLERANCE_MS && moved < touchAfterFor(ttl)) return;
        const expiresAt = await core.touch(id, { ttl, userId: before.userId ?? null });
        if (expiresAt === null) loads.delete(token!);
        else before.expiresAt = expiresAt;
        return;
      }
      if (!fresh) {
        // Loaded too long ago (a slow request), or not by this storage (a session the app built
        // itself): a tombstone may have lapsed since, so look first. updateData never creates; a
        // revocation between this look and the write leaves a fresh tombstone, which refuses it.
        const current = await core.load(id);
        if (!current) {
          if (token) loads.delete(token);
          return;
        }
        if (!before) {
          // No load to merge against: the save replaces what it found.
          await save(id, record, ttl, { createdAt: current.record.createdAt, previousUserId: current.record.userId ?? null });
          return;
        }
      }
      const { data: written, result } = await save(id, record, ttl, {
        // If the record expired while this request ran, the absolute timeout still counts from it.
        createdAt: before!.createdAt,
        previousUserId: before!.userId ?? null,
        ...(mergeSaves ? { ifVersion: before!.version, base: before!.text } : {}),
      });
      // The session as saved is what a second commit of the same request compares with.
      if (!result.stored || result.version === undefined || result.expiresAt === undefined) {
        loads.delete(token!);
        return;
      }
      const savedOwner = ownerOf(written);
      Object.assign(before!, {
        at: Date.now(),
        text: core.options.serializer.stringify(written),
        version: result.version,
        expiresAt: result.expiresAt,
        ...(result.createdAt === undefined ? {} : { createdAt: result.createdAt }),
      });
      if (savedOwner === undefined) delete before!.userId;
      else before!.userId = savedOwner;
    },

    async deleteData(id) {
      if (!id) return; // a session that was never committed
      const owner = owners.get(id);
      owners.delete(id);
      // The owner it was loaded with names the index to leave, which saves a round trip.
      await core.destroy(id, owner === undefined ? {} : { userId: owner });
    },
  };

  const storage = createSessionStorage(strategy);
  return {
    async getSession(cookieHeader, parseOptions) {
      const session = await storage.getSession(cookieHeader, parseOptions);
      if (!session.id) return session;
      const token = session.get(LIVE as keyof Data & string) as unknown;
      if (typeof token === 'string') {
        session.unset(LIVE as keyof Data & string);
        tokens.set(session, token);
        return session;
      }
      // The cookie names no live session: start a new one, whose first commit mints a fresh id
      // (the framework would otherwise write the stale id back on the next commit).
      return storage.getSession(null);
    },
    commitSession(session, serializeOptions) {
      const token = tokens.get(session);
      if (token === undefined) return storage.commitSession(session, serializeOptions);
      // The framework reads `session.data` before its first await: the token rides along in it
      // and is gone from the session again before this returns. (Were it read later, the commit
      // would only lose its load, and be saved the slower way: still correct.)
      session.set(LIVE as keyof Data & string, token as never);
      try {
        return storage.commitSession(session, serializeOptions);
      } finally {
        session.unset(LIVE as keyof Data & string);
      }
    },
    destroySession: (session, serializeOptions) => storage.destroySession(session, serializeOptions),
    core,
    listUserSessions: (owner) => core.listUserSessions(owner),
    revokeUserSession: (owner, id) => core.revokeUserSession(owner, id),
    invalidateAllUserSessions: (owner, invalidateOptions) => core.invalidateAllUserSessions(owner, invalidateOptions),
    countUserSessions: (owner) => core.countUserSessions(owner),
  };
}

export type { InvalidateOptions, SessionInfo, SessionStore, FrameworkStoreOptions } from '@sessionkit/core';
export type { Serializer, SessionLimitPolicy } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId } from '@sessionkit/core';
