import type { CookieSession, FrameworkStore } from './framework-store.js';
import { callbackOrPromise, type StoreCallback } from './callbacks.js';
import type { RedisClient } from './client/index.js';
import type { SessionInfo } from './records.js';
import type { Serializer } from './serializer.js';
import type { InvalidateOptions, SessionStore } from './store.js';

/**
 * The per-user calls every adapter's store offers beside its framework's contract, documented
 * once here. `installUserSessionCalls` puts them on an adapter class, `userSessionCalls` makes them
 * for an adapter that hands out a plain object (React Router's storage).
 */
export interface UserSessionCalls {
  /**
   * Logout-everywhere: revokes every session of `userId` (one Redis round trip on a single node),
   * except the ids in `options.except` (typically the current request's session id, for "sign
   * out my other devices"). Resolves with the number revoked.
   */
  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number>;
  /** The user's live sessions (no data: id, createdAt, lastSeenAt, expiresAt, meta), most recently seen first. */
  listUserSessions(userId: string | number): Promise<SessionInfo[]>;
  /** How many live sessions the user has. */
  countUserSessions(userId: string | number): Promise<number>;
  /** Revokes session `sid` only if it belongs to `userId` (safe to expose as "sign out that device"); false otherwise, and nothing happens. */
  revokeUserSession(userId: string | number, sid: string): Promise<boolean>;
  /**
   * What `listUserSessions` returns as a session's `id` for session id `sid`: its handle (the
   * SHA-256 of the id, base64url; Redis never holds the id itself), or `sid` with `hashIds: false`.
   * A listed session whose `id` is `sessionHandle(req.sessionID)` (or `req.sessionID`, for one
   * written before hashed ids and not moved yet) is the current one.
   */
  sessionHandle(sid: string): string;
}

/** How an adapter hands a failure to its framework (see `rethrowWithStatus`); by default as it is. */
type Rethrow = (error: unknown) => never;

const CALLS = [
  'invalidateAllUserSessions',
  'listUserSessions',
  'countUserSessions',
  'revokeUserSession',
] as const satisfies readonly (keyof UserSessionCalls)[];

function delegate(engine: FrameworkStore, name: (typeof CALLS)[number], args: unknown[], rethrow: Rethrow | undefined): Promise<unknown> {
  const work = Reflect.apply(engine[name], engine, args) as Promise<unknown>;
  return rethrow ? work.catch(rethrow) : work;
}

/**
 * The per-user calls of `engine`, each failure through `rethrow` when given. `engine` may be a
 * function that builds it on first use (the Next.js kit's client may come from a function).
 */
export function userSessionCalls(engine: FrameworkStore | (() => FrameworkStore), rethrow?: Rethrow): UserSessionCalls {
  const engineOf = typeof engine === 'function' ? engine : () => engine;
  const calls = Object.fromEntries(CALLS.map((name) => [name, (...args: unknown[]) => delegate(engineOf(), name, args, rethrow)]));
  return { ...calls, sessionHandle: (sid: string) => engineOf().sessionHandle(sid) } as unknown as UserSessionCalls;
}

/**
 * Puts the per-user calls on an adapter class whose instances keep their engine in `sessions`:
 * methods of its prototype (non-enumerable, as a class's own), each delegating to the engine. The
 * class declares them by merging `UserSessionCalls` into its interface:
 * `export interface RedisStore extends UserSessionCalls {}` beside `export class RedisStore`.
 */
export function installUserSessionCalls(
  // biome-ignore lint/suspicious/noExplicitAny: any constructor and session shape: the adapters' classes take their own options
  adapter: abstract new (...args: any[]) => { readonly sessions: FrameworkStore<any> },
  { rethrow }: { rethrow?: Rethrow } = {},
): void {
  for (const name of CALLS) {
    const { [name]: method } = {
      [name](this: { sessions: FrameworkStore }, ...args: unknown[]) {
        return delegate(this.sessions, name, args, rethrow);
      },
    };
    Object.defineProperty(adapter.prototype, name, { value: method, writable: true, configurable: true });
  }
  const { sessionHandle } = {
    sessionHandle(this: { sessions: FrameworkStore }, sid: string) {
      return this.sessions.sessionHandle(sid);
    },
  };
  Object.defineProperty(adapter.prototype, 'sessionHandle', { value: sessionHandle, writable: true, configurable: true });
}

/** True when a listed session is the one whose id is `sid`: its handle, or its plain id while it is not moved yet. */
export function isCurrentSession(store: Pick<UserSessionCalls, 'sessionHandle'>, listedId: string, sid: string | undefined): boolean {
  return sid !== undefined && sid !== '' && (listedId === store.sessionHandle(sid) || listedId === sid);
}

/**
 * What an adapter's store shows of its engine, read-only (a getter each: assigning one, which
 * would change nothing, throws), with connect-redis's names. Each adapter takes the ones it offers.
 */
export interface EngineFields<S> {
  /** The core store: its options, its admin calls and its events ('corrupt', 'invalidate', 'evict', 'revoked-write'). */
  readonly core: SessionStore<S>;
  /** The Redis client, ioredis or node-redis, as passed (as connect-redis's `store.client`). */
  readonly client: RedisClient;
  /** The session key prefix (as connect-redis's `store.prefix`). */
  readonly prefix: string;
  /** As connect-redis's `store.ttl`: the `ttl` option, in SECONDS, or the function given. Default 86 400. */
  readonly ttl: number | ((session: S) => number);
  /** As connect-redis's `store.disableTouch`. Default false. */
  readonly disableTouch: boolean;
  /** As connect-redis's `store.disableTTL`. Default false. */
  readonly disableTTL: boolean;
  /** As connect-redis's `store.scanCount`: the SCAN COUNT hint of `ids`, `all`, `length` and `clear`. Default 100. */
  readonly scanCount: number;
  /**
   * The serializer in use: the `serializer` option, or by default SessionKit's safe JSON
   * (`safeJsonSerializer`: JSON that drops `__proto__`, `constructor` and `prototype` keys), not
   * the global `JSON` that connect-redis uses.
   */
  readonly serializer: Serializer;
  /** The owner of a session (as the framework hands it over, or as stored), as the `userId` option finds it; undefined when anonymous. */
  userIdOf(session: object): string | undefined;
}

type Field = Exclude<keyof EngineFields<unknown>, 'userIdOf'>;

const FIELDS: { [K in Field]: (engine: FrameworkStore) => EngineFields<unknown>[K] } = {
  core: (engine) => engine.core,
  client: (engine) => engine.client,
  prefix: (engine) => engine.core.options.prefix,
  ttl: (engine) => engine.resolved.ttl as number,
  disableTouch: (engine) => engine.resolved.disableTouch as boolean,
  disableTTL: (engine) => engine.resolved.disableTTL as boolean,
  scanCount: (engine) => engine.core.options.scanCount,
  serializer: (engine) => engine.core.options.serializer,
};

function userIdOf(this: { sessions: FrameworkStore }, session: object): string | undefined {
  return this.sessions.userIdOf(session as CookieSession);
}

/** Puts the named `EngineFields` on an adapter class, as getters of its prototype reading `this.sessions` (`userIdOf`: a method). */
export function installEngineFields(
  // biome-ignore lint/suspicious/noExplicitAny: as in installUserSessionCalls
  adapter: abstract new (...args: any[]) => { readonly sessions: FrameworkStore<any> },
  names: readonly (keyof EngineFields<unknown>)[],
): void {
  for (const name of names) {
    if (name === 'userIdOf') {
      Object.defineProperty(adapter.prototype, name, { value: userIdOf, writable: true, configurable: true });
      continue;
    }
    const read = FIELDS[name];
    Object.defineProperty(adapter.prototype, name, {
      get(this: { sessions: FrameworkStore }) {
        return read(this.sessions);
      },
      configurable: true,
    });
  }
}

/**
 * connect-redis's admin calls, as the Fastify and Koa stores offer them: each returns a promise
 * and takes an optional callback (see `callbackOrPromise`). They SCAN the keyspace: for admin
 * tools, not request paths.
 */
export interface AdminCalls<S> {
  /** Every live session, each with its `id`. */
  all(callback?: undefined): Promise<(S & { id: string })[]>;
  all(callback: StoreCallback<(S & { id: string })[]>): Promise<unknown>;
  /** The ids of every live session. */
  ids(callback?: undefined): Promise<string[]>;
  ids(callback: StoreCallback<string[]>): Promise<unknown>;
  /** How many live sessions there are. */
  length(callback?: undefined): Promise<number>;
  length(callback: StoreCallback<number>): Promise<unknown>;
  /** Deletes every session and index under the store's prefixes. */
  clear(callback?: undefined): Promise<void>;
  clear(callback: StoreCallback<void>): Promise<unknown>;
}

/**
 * Puts `AdminCalls` on an adapter class, as `installUserSessionCalls` does the per-user calls.
 * `toSession` turns each stored session into the framework's form for `all`.
 */
export function installAdminCalls(
  // biome-ignore lint/suspicious/noExplicitAny: as in installUserSessionCalls
  adapter: abstract new (...args: any[]) => { readonly sessions: FrameworkStore<any> },
  { rethrow, toSession }: { rethrow?: Rethrow; toSession?: (stored: CookieSession) => object } = {},
): void {
  const calls = {
    all: (engine: FrameworkStore) => engine.all().then((all) => (toSession ? all.map(({ id, ...stored }) => Object.assign(toSession(stored), { id })) : all)),
    ids: (engine: FrameworkStore) => engine.ids(),
    length: (engine: FrameworkStore) => engine.length(),
    clear: (engine: FrameworkStore) => engine.clear(),
  };
  for (const [name, call] of Object.entries(calls)) {
    const { [name]: method } = {
      [name](this: { sessions: FrameworkStore }, callback?: StoreCallback<unknown>) {
        const work = call(this.sessions) as Promise<unknown>;
        return callbackOrPromise(rethrow ? work.catch(rethrow) : work, callback);
      },
    };
    Object.defineProperty(adapter.prototype, name, { value: method, writable: true, configurable: true });
  }
}

/** What `installAdapterStore` puts on an adapter class: the per-user calls, the admin calls and the engine fields named `F`. */
export type AdapterStore<S, F extends keyof EngineFields<S>> = UserSessionCalls & AdminCalls<S> & Pick<EngineFields<S>, F>;

/**
 * `installUserSessionCalls`, `installAdminCalls` and `installEngineFields` in one, for an adapter
 * whose store offers all three (Fastify, Koa). The class declares them by merging:
 * `export interface RedisStore<S> extends AdapterStore<S, 'core' | 'client'> {}`.
 */
export function installAdapterStore(
  // biome-ignore lint/suspicious/noExplicitAny: as in installUserSessionCalls
  adapter: abstract new (...args: any[]) => { readonly sessions: FrameworkStore<any> },
  options: { rethrow?: Rethrow; toSession?: (stored: CookieSession) => object; fields: readonly (keyof EngineFields<unknown>)[] },
): void {
  installUserSessionCalls(adapter, options);
  installAdminCalls(adapter, options);
  installEngineFields(adapter, options.fields);
}

/** A session of the signed-in user, as the request helpers' `listSessions()` returns it. */
export interface ListedSession extends SessionInfo {
  /** True for the session of the request that asked. */
  current: boolean;
}

export interface LogoutEverywhereOptions {
  /** Keep the current session ("sign out everywhere else"). Default false: this one goes too. */
  keepCurrent?: boolean;
}

/** What the request helpers need to know of a framework's request (Fastify's request, Koa's context, ...). */
export interface RequestSessionAccess<R> {
  /** The signed-in user (as the store's `userId` option finds it) and the id of the request's session; no user when anonymous or without a session. */
  current(request: R): { userId?: string | undefined; sid?: string | undefined };
  /** Drops the request's own copy of its session once it is revoked, or the framework would save it again when replying. */
  drop(request: R): void | Promise<void>;
}

/** `listSessions()`, `revokeSession(id)` and `logoutEverywhere()` for the signed-in user of the request they are called on (`this`). */
export interface RequestHelpers<R> {
  /** The signed-in user's live sessions, most recent first, the current one flagged. Empty when anonymous. */
  listSessions(this: R): Promise<ListedSession[]>;
  /** Revokes one of the signed-in user's sessions (never another user's). True if it was live. */
  revokeSession(this: R, sid: string): Promise<boolean>;
  /** Revokes all the signed-in user's sessions (or all but this one). Returns how many. */
  logoutEverywhere(this: R, options?: LogoutEverywhereOptions): Promise<number>;
}

/**
 * The per-request helpers an adapter puts on its framework's request (Fastify's
 * `decorateRequest`, Koa's `app.context`), over the store's per-user calls: one implementation
 * for every framework, which only says how to read and drop a request's session.
 */
export function requestHelpers<R>(store: UserSessionCalls, access: RequestSessionAccess<R>): RequestHelpers<R> {
  return {
    async listSessions() {
      const { userId, sid } = access.current(this);
      if (userId === undefined) return [];
      const sessions = await store.listUserSessions(userId);
      return sessions.map((session) => ({ ...session, current: isCurrentSession(store, session.id, sid) }));
    },

    async revokeSession(id) {
      const { userId, sid } = access.current(this);
      if (userId === undefined || typeof id !== 'string' || id === '') return false;
      const revoked = await store.revokeUserSession(userId, id);
      // `id` as listed (a handle) or the session id itself.
      if (isCurrentSession(store, id, sid)) await access.drop(this);
      return revoked;
    },

    async logoutEverywhere(options = {}) {
      const { userId, sid } = access.current(this);
      if (userId === undefined) return 0;
      const count = await store.invalidateAllUserSessions(userId, options.keepCurrent && sid ? { except: sid } : {});
      if (!options.keepCurrent) await access.drop(this);
      return count;
    },
  };
}
