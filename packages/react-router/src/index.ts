import { randomBytes } from 'node:crypto';
import {
  createSessionStorage as createRouterSessionStorage,
  type FlashSessionData,
  type SessionData,
  type SessionIdStorageStrategy,
  type SessionStorage,
} from 'react-router';
import {
  CorruptSessionError,
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
  > {
  /** The cookie that carries the session id, or options for one (as `createSessionStorage`). Sign it: give it `secrets`. */
  cookie?: SessionIdStorageStrategy<Data, FlashData>['cookie'];
  /**
   * Idle timeout in SECONDS for a commit whose cookie has no expiry (no `maxAge` or `expires` on
   * the cookie or in `commitSession`'s options). With one, the session lives until the cookie
   * expires. Default 86 400.
   */
  ttl?: number;
  /** Finds the owner in the session data. Default: `data.userId`, then `data.user.id`. */
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
  at: number;
  /** The data as loaded, serialized: a commit of the same text changes nothing. */
  json: string;
  createdAt: number;
  expiresAt: number;
  absoluteExpiresAt?: number;
  userId?: string;
}

/**
 * Set by readData on the data it returns and removed by getSession before the app sees it: how
 * getSession tells "the cookie names a live session" from "the cookie names nothing" (the
 * framework builds the same empty session for both).
 */
const LIVE = '__sessionkit_live__';
const LOADED_LIMIT = 10_000;
const LOADED_MAX_AGE_MS = 30_000;
const ID_ATTEMPTS = 3;
/** An unchanged commit that would move the expiry back by less than this is not worth a write. */
const SHORTEN_TOLERANCE_MS = 1_000;

function positiveSeconds(ttl: unknown): number {
  if (ttl === undefined) return 86_400;
  if (typeof ttl !== 'number' || !(ttl > 0)) {
    throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds, got ${String(ttl)}`);
  }
  return ttl;
}

function defaultUserId(data: StoredData): string | number | undefined {
  const direct = data.userId;
  if (typeof direct === 'string' || typeof direct === 'number') return direct;
  const user = data.user as { id?: unknown } | null | undefined;
  if (user && (typeof user.id === 'string' || typeof user.id === 'number')) return user.id;
  return undefined;
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
  const { cookie, ttl, userId, meta, touchAfter, store, createSessionStorage = createRouterSessionStorage, ...storeOptions } = options;
  const fallbackTtl = positiveSeconds(ttl) * 1000;
  if (touchAfter !== undefined && !(touchAfter >= 0)) {
    throw new SessionKitError('ERR_CONFIG', `option touchAfter must be a non-negative number of ms, got ${String(touchAfter)}`);
  }
  const core = (store as SessionStore<StoredData> | undefined) ??
    new SessionStore<StoredData>({ ...storeOptions, client: storeOptions.client as SessionStoreOptions['client'], ttl: fallbackTtl });
  const findOwner = (userId ?? defaultUserId) as (data: StoredData) => string | number | null | undefined;
  const findMeta = meta as ((data: StoredData) => Record<string, unknown> | null | undefined) | undefined;
  const ownerOf = (data: StoredData): string | undefined => {
    const id = findOwner(data);
    return id === undefined || id === null || id === '' ? undefined : String(id);
  };
  /** The TTL in ms a commit asks for: until the cookie expires, else the `ttl` option. */
  const ttlOf = (expires: Date | undefined): number => {
    const at = expires instanceof Date ? expires.getTime() : NaN;
    // An unusable expiry (an invalid Date) is no expiry: the `ttl` option applies.
    return Number.isFinite(at) ? at - Date.now() : fallbackTtl;
  };
  const touchAfterFor = (ms: number) => touchAfter ?? Math.min(60_000, ms / 10);

  const loaded = new Map<string, Loaded>();
  const remember = (id: string, entry: Loaded) => {
    loaded.delete(id);
    if (loaded.size >= LOADED_LIMIT) loaded.delete(loaded.keys().next().value as string);
    loaded.set(id, entry);
  };
  // A load this recent is still covered by the tombstone of any revocation that followed it (a
  // revocation after the load leaves a tombstone for revokedTtl): a save may then rely on it.
  const freshFor = Math.min(LOADED_MAX_AGE_MS, core.options.revokedTtl / 2);
  const take = (id: string): Loaded | undefined => {
    const entry = loaded.get(id);
    loaded.delete(id);
    return entry && Date.now() - entry.at < freshFor ? entry : undefined;
  };

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
        });
        // 'revoked': the id is a tombstone, as good as taken. 'expired' (the cookie's expiry has
        // passed): nothing is stored, and the cookie lapses with it.
        if (result.stored || result.reason !== 'revoked') return id;
      }
      throw new SessionKitError('ERR_INVALID_ID', `no unused session id in ${ID_ATTEMPTS} attempts: is the random source broken?`);
    },

    async readData(id) {
      let record;
      try {
        record = await core.get(id);
      } catch (error) {
        // A cookie value that cannot be an id (an unsigned cookie someone wrote) names nothing.
        if (error instanceof SessionKitError && error.code === 'ERR_INVALID_ID') return null;
        throw error;
      }
      if (!record) return null;
      const data = record.data;
      if (!data || typeof data !== 'object' || Array.isArray(data)) {
        core.emit('corrupt', new CorruptSessionError('stored session is not an object'), { idHash: hashId(id) });
        return null;
      }
      // Taken now, not at commit: the framework's session shares nested values with this object,
      // and an in-place change to them must still count as a change. A record another store
      // wrote (connect-redis) is not remembered, so its first commit rewrites it in our format.
      if (!record.legacy) {
        remember(id, {
          at: Date.now(),
          json: JSON.stringify(data),
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
          ...(record.absoluteExpiresAt === undefined ? {} : { absoluteExpiresAt: record.absoluteExpiresAt }),
          ...(record.userId === undefined ? {} : { userId: record.userId }),
        });
      }
      data[LIVE] = true;
      return data as FlashSessionData<Data, FlashData>;
    },

    async updateData(id, data, expires) {
      const record = data as StoredData;
      delete record[LIVE];
      const before = take(id);
      const ttl = ttlOf(expires);
      const owner = ownerOf(record);
      if (before && ttl > 0 && before.userId === owner && before.json === JSON.stringify(record)) {
        // Nothing changed but the expiry. Move it only when that is worth a write: forward by
        // touchAfter or more, or back (a shorter maxAge in this commit). Redis's clock, as the
        // stored expiry's. The touch refuses a destroyed or revoked id, like the set below.
        const target = Math.min(core.redisTime() + ttl, before.absoluteExpiresAt ?? Infinity);
        const moved = target - before.expiresAt;
        if (moved > -SHORTEN_TOLERANCE_MS && moved < touchAfterFor(ttl)) return;
        await core.touch(id, { ttl });
        return;
      }
      // Not loaded lately by this process (a slow request, or a commit of a session the app built
      // itself): a tombstone may have lapsed since, so look first. updateData never creates; a
      // revocation between this look and the write leaves a fresh tombstone, which refuses it.
      if (!before && (await core.get(id)) === null) return;
      const details = findMeta?.(record);
      // The store's set refuses a destroyed or revoked id (its tombstone): revocation wins.
      await core.set(id, record, {
        ttl,
        userId: owner ?? null,
        ...(details === undefined ? {} : { meta: details }),
        // If the record expired while this request ran, the absolute timeout still counts from it.
        ...(before ? { createdAt: before.createdAt } : {}),
      });
    },

    async deleteData(id) {
      if (!id) return; // a session that was never committed
      loaded.delete(id);
      await core.destroy(id);
    },
  };

  const storage = createSessionStorage(strategy);
  return {
    async getSession(cookieHeader, parseOptions) {
      const session = await storage.getSession(cookieHeader, parseOptions);
      if (!session.id) return session;
      if (session.has(LIVE as keyof Data & string)) {
        session.unset(LIVE as keyof Data & string);
        return session;
      }
      // The cookie names no live session: start a new one, whose first commit mints a fresh id
      // (the framework would otherwise write the stale id back on the next commit).
      return storage.getSession(null);
    },
    commitSession: (session, serializeOptions) => storage.commitSession(session, serializeOptions),
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
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError } from '@sessionkit/core';
