import {
  createSessionStorage as createRouterSessionStorage,
  type FlashSessionData,
  type SessionData,
  type SessionIdStorageStrategy,
  type SessionStorage,
} from 'react-router';
import { SessionKitError, type SessionStore } from '@sessionkit/core';
import {
  newSessionId,
  FrameworkStore,
  optionSchema,
  carriedTicket,
  carryTicket,
  parkTicket,
  Ticket,
  userSessionCalls,
  type CookieSession,
  type FrameworkStoreOptions,
  type UserSessionCalls,
} from '@sessionkit/core/toolkit';

/** What a commit hands to the store and what reaches Redis: `session.data`, flash entries included. */
type StoredData = Record<string, unknown>;

/**
 * The options of `createSessionStorage` (`cookie`), the store options every SessionKit adapter
 * takes (see FrameworkStoreOptions in @sessionkit/core for each one's meaning and default; a new
 * one reaches this adapter too) but those a commit's expiry takes over, and the ones below.
 */
export interface RedisSessionStorageOptions<Data = SessionData, FlashData = Data>
  extends Omit<FrameworkStoreOptions, 'ttl' | 'userId' | 'meta' | 'disableTouch' | 'disableTTL'> {
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
export interface RedisSessionStorage<Data = SessionData, FlashData = Data> extends SessionStorage<Data, FlashData>, UserSessionCalls {
  /** The core store: admin calls (ids, all, length, clear) and events ('corrupt', 'invalidate', 'evict', 'revoked-write'). */
  readonly core: SessionStore<StoredData>;
}

/** React Router's `ttl`: the shared one, in seconds, but no function (a commit's expiry takes that role); nor null. */
const routerOptions = optionSchema('react-router', {
  ttl: { unit: 's', lifetime: 'required', default: 86_400, check: (value, { given }) => positiveSeconds(given === null ? given : value) },
});
function positiveSeconds(ttl: unknown): number {
  if (typeof ttl !== 'number' || !(ttl > 0)) throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds, got ${String(ttl)}`);
  return ttl;
}

/**
 * Set by readData on the data it returns (the ticket of that load) and removed by getSession
 * before the app sees it: it tells "the cookie names a live session" from "the cookie names
 * nothing" (the framework builds the same empty session for both), and getSession keeps the
 * ticket beside the session it returns. The framework copies the data into its own Map, so no
 * other object carries it from readData to getSession. A Ticket serializes to nothing.
 */
const LIVE = '__sessionkit_live__';
const ID_ATTEMPTS = 3;
/** A commit of a session this storage did not load (the app built it): saved as found, unmerged. */
const NOT_LOADED = new Ticket();

/**
 * A React Router (or Remix 2) `SessionStorage` on Redis, built on the framework's own
 * `createSessionStorage`: the cookie holds only a random id, the data lives in Redis with a
 * sliding TTL, and each session is indexed under its owner, which gives `listUserSessions`,
 * `revokeUserSession` and `invalidateAllUserSessions`. The lifecycle is core's FrameworkStore;
 * this maps React Router's strategy onto it.
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
  const { cookie, createSessionStorage = createRouterSessionStorage, ...storeOptions } = options;
  const engine = new FrameworkStore(storeOptions as FrameworkStoreOptions, routerOptions);
  const core = engine.core as SessionStore<StoredData>;
  const fallbackTtl = (engine.resolved.ttl as number) * 1000;
  /** The TTL in ms a commit asks for: until the cookie expires, else the `ttl` option. */
  const ttlOf = (expires: Date | undefined): number => {
    const at = expires instanceof Date ? expires.getTime() : NaN;
    // An unusable expiry (an invalid Date) is no expiry: the `ttl` option applies.
    return Number.isFinite(at) ? at - Date.now() : fallbackTtl;
  };

  /**
   * The ticket of the commit or destroy in progress. The framework calls updateData and
   * deleteData before its first await, so this is set only around that synchronous part, and
   * each strategy call reads it first thing. (A framework that awaited first would only lose the
   * load: the commit is then saved the slower way, still correctly.)
   */
  let inProgress: Ticket | undefined;
  function withTicket<T>(session: object, run: () => T): T {
    inProgress = carriedTicket(session) ?? NOT_LOADED;
    try {
      return run();
    } finally {
      inProgress = undefined;
    }
  }
  const takeTicket = (): Ticket => {
    const ticket = inProgress ?? NOT_LOADED;
    inProgress = undefined;
    return ticket;
  };

  const strategy: SessionIdStorageStrategy<Data, FlashData> = {
    cookie,

    async createData(data, expires) {
      const record = data as StoredData;
      const owner = engine.userIdOf(record as CookieSession);
      const details = storeOptions.meta?.(data);
      for (let attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
        const id = newSessionId();
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
      let loaded: Awaited<ReturnType<typeof engine.load>>;
      try {
        // React Router keeps no cookie in the data: a `cookie` key is the app's own.
        loaded = await engine.load(id, { noCookie: true });
      } catch (error) {
        // A cookie value that cannot be an id (an unsigned cookie someone wrote) names nothing.
        if (error instanceof SessionKitError && error.code === 'ERR_INVALID_ID') return null;
        throw error;
      }
      if (!loaded) return null;
      return parkTicket(loaded, LIVE) as FlashSessionData<Data, FlashData>;
    },

    async updateData(id, data, expires) {
      // Unchanged (it serializes as loaded, same owner): only the expiry slides. Loaded too long
      // ago, or not by this storage: looked up first, and never created.
      await engine.set(id, data as CookieSession, { ticket: takeTicket(), ttl: ttlOf(expires), unchanged: 'compare', existing: true });
    },

    async deleteData(id) {
      const ticket = takeTicket();
      if (!id) return; // a session that was never committed
      // The owner it was loaded with names the index to leave, which saves a round trip.
      await engine.destroy(id, { ticket: ticket === NOT_LOADED ? undefined : ticket });
    },
  };

  const storage = createSessionStorage(strategy);
  return {
    async getSession(cookieHeader, parseOptions) {
      const session = await storage.getSession(cookieHeader, parseOptions);
      if (!session.id) return session;
      const ticket = session.get(LIVE as keyof Data & string) as unknown;
      if (ticket instanceof Ticket) {
        session.unset(LIVE as keyof Data & string);
        carryTicket(session, ticket);
        return session;
      }
      // The cookie names no live session: start a new one, whose first commit mints a fresh id
      // (the framework would otherwise write the stale id back on the next commit).
      return storage.getSession(null);
    },
    commitSession: (session, serializeOptions) => withTicket(session, () => storage.commitSession(session, serializeOptions)),
    destroySession: (session, serializeOptions) => withTicket(session, () => storage.destroySession(session, serializeOptions)),
    core,
    ...userSessionCalls(engine),
  };
}

export type { InvalidateOptions, SessionInfo, SessionStore } from '@sessionkit/core';
export type { FrameworkStoreOptions } from '@sessionkit/core/toolkit';
export type { Serializer, SessionLimitPolicy } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId } from '@sessionkit/core';
