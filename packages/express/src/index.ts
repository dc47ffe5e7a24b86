import session from 'express-session';
import type { SessionData } from 'express-session';
import { FrameworkStore, settle, type FrameworkStoreOptions, type InvalidateOptions, type SessionInfo, type SessionStore } from '@sessionkit/core';

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

/** This adapter's own options, beside the shared ones: tsc fails if one is added to RedisStoreOptions and not here. */
const expressOptionNames = Object.keys({ connectionEvents: true } satisfies Record<Exclude<keyof RedisStoreOptions, keyof FrameworkStoreOptions>, true>);

// biome-ignore lint/suspicious/noExplicitAny: express-session types its callbacks' error as any
type Callback<T> = ((err: any, value?: T) => void) | undefined;

/**
 * An express-session store on Redis. A drop-in replacement for connect-redis (same key layout,
 * same options, reads its sessions), plus a per-user index of sessions:
 * `listUserSessions`, `revokeUserSession` and `invalidateAllUserSessions`.
 *
 * Callbacks are optional. When a call without a callback fails, the error is emitted as the
 * store's `'error'` event if anything listens to it, and dropped otherwise: it never becomes an
 * unhandled rejection or crashes the process.
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
  private readonly detach: () => void;

  constructor(options: RedisStoreOptions) {
    super();
    this.sessions = new FrameworkStore<ExpressSessionData>(options, expressOptionNames);
    this.core = this.sessions.core;
    this.client = this.core.client;
    this.prefix = this.core.options.prefix;
    this.detach = options.connectionEvents === false ? () => {} : this.core.redis.onConnectionChange((up) => this.emit(up ? 'connect' : 'disconnect'));
  }

  override get(sid: string, callback?: Callback<ExpressSessionData | null>): void {
    this.settle(this.sessions.get(sid), callback);
  }

  override set(sid: string, session: SessionData, callback?: Callback<void>): void {
    this.settle(this.sessions.set(sid, session as ExpressSessionData), callback);
  }

  override touch(sid: string, session: SessionData, callback?: Callback<void>): void {
    this.settle(this.sessions.touch(sid, session as ExpressSessionData), callback);
  }

  override destroy(sid: string, callback?: Callback<void>): void {
    this.settle(this.sessions.destroy(sid), callback);
  }

  /** Every live session, each with its `id` (as connect-redis). SCANs the keyspace: admin use only. */
  override all(callback?: Callback<ExpressSessionData[]>): void {
    this.settle(this.sessions.all(), callback);
  }

  /** Ids of every live session (SCAN). */
  ids(callback?: Callback<string[]>): void {
    this.settle(this.sessions.ids(), callback);
  }

  /** Number of live sessions (SCAN). */
  override length(callback?: Callback<number>): void {
    this.settle(this.sessions.length(), callback);
  }

  /** Deletes every session and index under this store's prefixes. */
  override clear(callback?: Callback<void>): void {
    this.settle(
      this.sessions.clear().then(() => undefined),
      callback,
    );
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

  /** Calls back outside the promise chain; without a callback, a failure becomes an 'error' event if anyone listens. */
  private settle<T>(work: Promise<T>, callback: Callback<T>): void {
    settle(work, callback, (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }
}

// What the docs use, so that an app installs only this package.
export type { InvalidateOptions, SessionInfo, SessionRecord, SessionStore, FrameworkStoreOptions } from '@sessionkit/core';
export type { Serializer, SessionLimitPolicy, SessionKitErrorCode } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId } from '@sessionkit/core';
