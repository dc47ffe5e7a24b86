import session from 'express-session';
import type { SessionData } from 'express-session';
import type { InvalidateOptions, Serializer, SessionInfo, SessionStore } from '@sessionkit/core';
import { carriedTicket, carryTicket, FrameworkStore, optionSchema, settle, type OptionSpec, type FrameworkStoreOptions } from '@sessionkit/core/toolkit';

// express-session is CommonJS: its `Store` hangs off the exported function. A default import
// works from both builds (ESM: Node hands over module.exports; CJS: esbuild's interop does).
const { Store } = session;

/** A session as express-session hands it to a store (your `SessionData` augmentations included). */
export type ExpressSessionData = SessionData & { [key: string]: unknown };

/**
 * connect-redis's options (`client`, `prefix`, `ttl` in SECONDS, `disableTouch`, `disableTTL`,
 * `scanCount`, `serializer`) plus SessionKit's (`userId`, `meta`, `absoluteTimeout`,
 * `maxSessionsPerUser`, `sessionLimitPolicy`, `touchAfter`, `revokedTtl`, `maxPayloadBytes`,
 * `indexPrefix`, `store`), whose durations are in MILLISECONDS.
 */
export interface RedisStoreOptions extends FrameworkStoreOptions<ExpressSessionData> {
  /**
   * Re-emit the Redis client's connection state as `connect` / `disconnect`, which
   * express-session listens to: while Redis is unreachable, requests run without a session
   * (`req.session` undefined) instead of waiting on the client's offline queue. Default true.
   */
  connectionEvents?: boolean;
}

/** This adapter's own options, beside the shared ones (see OptionSpec): tsc fails if one is added to RedisStoreOptions and not here. */
const expressOptions = optionSchema('express', {
  connectionEvents: { default: true },
} satisfies Record<Exclude<keyof RedisStoreOptions, keyof FrameworkStoreOptions>, Omit<OptionSpec, 'name' | 'layer'>>);

// biome-ignore lint/suspicious/noExplicitAny: express-session types its callbacks' error as any
type Callback<T> = (err: any, value?: T) => void;

/**
 * An express-session store on Redis. A drop-in replacement for connect-redis (same key layout,
 * same options, reads its sessions), plus a per-user index of sessions:
 * `listUserSessions`, `revokeUserSession` and `invalidateAllUserSessions`.
 *
 * Like connect-redis 9 and 10, each express-session method takes an optional callback and
 * returns a promise:
 * - without a callback, the promise settles once Redis has answered: it resolves with the
 *   result, or rejects with the error. A failure is also emitted as the store's `'error'` event
 *   if anything listens to it, and the promise is never an unhandled rejection when left
 *   unawaited (express-session's `req.session.destroy()` without a callback leaves it so);
 * - with a callback, the outcome goes to the callback only, called outside any promise chain,
 *   and the promise resolves with the callback's return value once it has run. It never
 *   rejects. A callback that throws is reported (a process warning, and the `'error'` event if
 *   anything listens), never an uncaught exception that would end the process.
 */
export class RedisStore extends Store {
  /** The framework-free layer every SessionKit adapter shares. */
  readonly sessions: FrameworkStore<ExpressSessionData>;
  /** The core store, for its events: 'corrupt', 'invalidate', 'evict', 'revoked-write'. */
  readonly core: SessionStore<ExpressSessionData>;
  /** The Redis client, ioredis or node-redis, as passed (as connect-redis's `store.client`). */
  readonly client: NonNullable<FrameworkStoreOptions['client']>;
  /** The session key prefix (as connect-redis's `store.prefix`). */
  readonly prefix: string;
  readonly #ttl: number | ((session: ExpressSessionData) => number);
  readonly #disableTouch: boolean;
  readonly #disableTTL: boolean;
  private readonly detach: () => void;

  constructor(options: RedisStoreOptions) {
    super();
    this.sessions = new FrameworkStore<ExpressSessionData>(options, expressOptions);
    this.core = this.sessions.core;
    this.client = this.core.client;
    this.prefix = this.core.options.prefix;
    // As FrameworkStore resolved them (connect-redis's defaults).
    const { resolved } = this.sessions;
    this.#ttl = resolved.ttl as number | ((session: ExpressSessionData) => number);
    this.#disableTouch = resolved.disableTouch as boolean;
    this.#disableTTL = resolved.disableTTL as boolean;
    this.detach = resolved.connectionEvents === false ? () => {} : this.core.redis.onConnectionChange((up) => this.emit(up ? 'connect' : 'disconnect'));
  }

  // connect-redis's public fields, read-only here: getters, so that assigning one (which would
  // change nothing) throws instead of passing silently.

  /** As connect-redis's `store.ttl`: the `ttl` option, in SECONDS, or the function given. Default 86 400. */
  get ttl(): number | ((session: ExpressSessionData) => number) {
    return this.#ttl;
  }

  /** As connect-redis's `store.disableTouch`. Default false. */
  get disableTouch(): boolean {
    return this.#disableTouch;
  }

  /** As connect-redis's `store.disableTTL`. Default false. */
  get disableTTL(): boolean {
    return this.#disableTTL;
  }

  /** As connect-redis's `store.scanCount`: the SCAN COUNT hint of `ids`, `all`, `length` and `clear`. Default 100. */
  get scanCount(): number {
    return this.core.options.scanCount;
  }

  /**
   * The serializer in use: the `serializer` option, or by default SessionKit's safe JSON
   * (`safeJsonSerializer`, exported: JSON that drops `__proto__`, `constructor` and `prototype` keys), not
   * the global `JSON` that connect-redis uses.
   */
  get serializer(): Serializer {
    return this.core.options.serializer;
  }

  override get(sid: string, callback?: undefined): Promise<ExpressSessionData | null>;
  override get(sid: string, callback: Callback<ExpressSessionData | null>): Promise<unknown>;
  override get(sid: string, callback?: Callback<ExpressSessionData | null>): Promise<unknown> {
    // The engine puts the ticket of what was loaded on the object it returns (see createSession).
    return this.settle(this.sessions.get(sid), callback);
  }

  /**
   * express-session builds its `req.session` from what `get` returned: the new object takes over
   * the ticket of what was loaded, so that its save merges against that load.
   */
  override createSession(
    req: Parameters<InstanceType<typeof Store>['createSession']>[0],
    data: SessionData,
  ): ReturnType<InstanceType<typeof Store>['createSession']> {
    const ticket = carriedTicket(data);
    const created = super.createSession(req, data);
    if (ticket) carryTicket(created, ticket);
    return created;
  }

  override set(sid: string, session: SessionData, callback?: undefined): Promise<void>;
  override set(sid: string, session: SessionData, callback: Callback<void>): Promise<unknown>;
  override set(sid: string, session: SessionData, callback?: Callback<void>): Promise<unknown> {
    return this.settle(this.sessions.set(sid, session as ExpressSessionData), callback);
  }

  override touch(sid: string, session: SessionData, callback?: undefined): Promise<void>;
  override touch(sid: string, session: SessionData, callback: Callback<void>): Promise<unknown>;
  override touch(sid: string, session: SessionData, callback?: Callback<void>): Promise<unknown> {
    return this.settle(this.sessions.touch(sid, session as ExpressSessionData), callback);
  }

  override destroy(sid: string, callback?: undefined): Promise<void>;
  override destroy(sid: string, callback: Callback<void>): Promise<unknown>;
  override destroy(sid: string, callback?: Callback<void>): Promise<unknown> {
    return this.settle(this.sessions.destroy(sid), callback);
  }

  /** Every live session, each with its `id` (as connect-redis). SCANs the keyspace: admin use only. */
  override all(callback?: undefined): Promise<ExpressSessionData[]>;
  override all(callback: Callback<ExpressSessionData[]>): Promise<unknown>;
  override all(callback?: Callback<ExpressSessionData[]>): Promise<unknown> {
    return this.settle(this.sessions.all(), callback);
  }

  /** Ids of every live session (SCAN). */
  ids(callback?: undefined): Promise<string[]>;
  ids(callback: Callback<string[]>): Promise<unknown>;
  ids(callback?: Callback<string[]>): Promise<unknown> {
    return this.settle(this.sessions.ids(), callback);
  }

  /** Number of live sessions (SCAN). */
  override length(callback?: undefined): Promise<number>;
  override length(callback: Callback<number>): Promise<unknown>;
  override length(callback?: Callback<number>): Promise<unknown> {
    return this.settle(this.sessions.length(), callback);
  }

  /** Deletes every session and index under this store's prefixes. */
  override clear(callback?: undefined): Promise<void>;
  override clear(callback: Callback<void>): Promise<unknown>;
  override clear(callback?: Callback<void>): Promise<unknown> {
    return this.settle(this.sessions.clear(), callback);
  }

  /**
   * Logout-everywhere: revokes every session of `userId`, except the ids in `except` (typically
   * `req.sessionID` for "sign out other devices"). Resolves with the number revoked.
   */
  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number> {
    return this.sessions.invalidateAllUserSessions(userId, options);
  }

  /** The user's live sessions (id, createdAt, lastSeenAt, expiresAt, meta), most recently seen first. */
  listUserSessions(userId: string | number): Promise<SessionInfo[]> {
    return this.sessions.listUserSessions(userId);
  }

  countUserSessions(userId: string | number): Promise<number> {
    return this.sessions.countUserSessions(userId);
  }

  /** Revokes session `sid` only if it belongs to `userId`; false otherwise (nothing happens). */
  revokeUserSession(userId: string | number, sid: string): Promise<boolean> {
    return this.sessions.revokeUserSession(userId, sid);
  }

  /** Stops relaying the client's connection events (the client itself is yours to close). */
  close(): void {
    this.detach();
  }

  /**
   * The promise an express-session method returns (see the class comment). With a callback, core's
   * `settle` calls it on a later tick, outside the promise chain, exactly as before promises were
   * returned; the promise only reports that it has run, so it cannot become an unhandled rejection.
   * Without one, the work's own promise is returned, with a handler attached here: a caller that
   * awaits it still sees the rejection, one that ignores it (as express-session does) leaves the
   * error to the 'error' event, as before, and never to Node's unhandled-rejection handling.
   */
  private settle<T>(work: Promise<T>, callback: Callback<T> | undefined): Promise<unknown> {
    if (callback) {
      return new Promise((resolve) => {
        settle(
          work,
          (...args: Parameters<Callback<T>>) => {
            let returned: unknown;
            try {
              returned = callback(...args);
            } finally {
              resolve(returned);
            }
          },
          (error: unknown) => this.unhandled(error),
        );
      });
    }
    void work.catch((error: unknown) => this.unhandled(error));
    return work;
  }

  /**
   * A failure nobody awaits, or a callback that threw (which core's settle also reports as a
   * process warning): the 'error' event, if anything listens. Never an uncaught exception.
   */
  private unhandled(error: unknown): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }
}

// What the docs use, so that an app installs only this package.
export type { InvalidateOptions, SessionInfo, SessionRecord, SessionStore } from '@sessionkit/core';
export type { FrameworkStoreOptions } from '@sessionkit/core/toolkit';
export type { Serializer, SessionLimitPolicy, SessionKitErrorCode } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId, safeJsonSerializer } from '@sessionkit/core';
