import session from 'express-session';
import type { SessionData } from 'express-session';
import {
  callbackOrPromise,
  installEngineFields,
  type EngineFields,
  type StoreCallback,
  carriedTicket,
  carryTicket,
  FrameworkStore,
  installUserSessionCalls,
  optionSchema,
  type FrameworkStoreOptions,
  type OptionSpec,
  type UserSessionCalls,
} from '@sessionkit/core/toolkit';

// express-session is CommonJS: its `Store` hangs off the exported function. A default import
// works from both builds (ESM: Node hands over module.exports; CJS: esbuild's interop does).
const { Store } = session;
type StoreMethods = InstanceType<typeof Store>;

/** A session as express-session hands it to a store (your `SessionData` augmentations included). */
export type ExpressSessionData = SessionData & { [key: string]: unknown };

/**
 * connect-redis's options (`client`, `prefix`, `ttl` in SECONDS, `disableTouch`, `disableTTL`,
 * `scanCount`, `serializer`) plus SessionKit's, whose durations are in MILLISECONDS (see FrameworkStoreOptions).
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

/**
 * An express-session store on Redis. A drop-in replacement for connect-redis (same key layout,
 * same options, reads its sessions), plus a per-user index of sessions:
 * `listUserSessions`, `revokeUserSession` and `invalidateAllUserSessions`.
 *
 * Like connect-redis 9 and 10, each express-session method takes an optional callback and
 * returns a promise, as core's `callbackOrPromise` describes. A failure nobody receives (an
 * unawaited promise, as express-session's `req.session.destroy()` leaves it, or a callback that
 * throws) is emitted as the store's `'error'` event if anything listens: never an unhandled
 * rejection or an uncaught exception that would end the process.
 */
export interface RedisStore extends UserSessionCalls, Omit<EngineFields<ExpressSessionData>, 'userIdOf'> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above declares what the toolkit installs on the prototype below
export class RedisStore extends Store {
  /** The framework-free layer every SessionKit adapter shares. */
  readonly sessions: FrameworkStore<ExpressSessionData>;
  private readonly detach: () => void;

  constructor(options: RedisStoreOptions) {
    super();
    this.sessions = new FrameworkStore<ExpressSessionData>(options, expressOptions);
    this.detach =
      this.sessions.resolved.connectionEvents === false ? () => {} : this.sessions.onConnectionChange((up) => this.emit(up ? 'connect' : 'disconnect'));
  }

  override get(sid: string, callback?: undefined): Promise<ExpressSessionData | null>;
  override get(sid: string, callback: StoreCallback<ExpressSessionData | null>): Promise<unknown>;
  override get(sid: string, callback?: StoreCallback<ExpressSessionData | null>): Promise<unknown> {
    return this.settle(this.sessions.get(sid), callback);
  }

  /**
   * express-session builds its `req.session` from what `get` returned: the new object takes over
   * the ticket of what was loaded, so that its save merges against that load.
   */
  override createSession(req: Parameters<StoreMethods['createSession']>[0], data: SessionData): ReturnType<StoreMethods['createSession']> {
    const ticket = carriedTicket(data);
    const created = super.createSession(req, data);
    if (ticket) carryTicket(created, ticket);
    return created;
  }

  override set(sid: string, session: SessionData, callback?: undefined): Promise<void>;
  override set(sid: string, session: SessionData, callback: StoreCallback<void>): Promise<unknown>;
  override set(sid: string, session: SessionData, callback?: StoreCallback<void>): Promise<unknown> {
    return this.settle(this.sessions.set(sid, session as ExpressSessionData), callback);
  }

  override touch(sid: string, session: SessionData, callback?: undefined): Promise<void>;
  override touch(sid: string, session: SessionData, callback: StoreCallback<void>): Promise<unknown>;
  override touch(sid: string, session: SessionData, callback?: StoreCallback<void>): Promise<unknown> {
    return this.settle(this.sessions.touch(sid, session as ExpressSessionData), callback);
  }

  override destroy(sid: string, callback?: undefined): Promise<void>;
  override destroy(sid: string, callback: StoreCallback<void>): Promise<unknown>;
  override destroy(sid: string, callback?: StoreCallback<void>): Promise<unknown> {
    return this.settle(this.sessions.destroy(sid), callback);
  }

  /** Every live session, each with its `id` (as connect-redis). SCANs the keyspace: admin use only. */
  override all(callback?: undefined): Promise<ExpressSessionData[]>;
  override all(callback: StoreCallback<ExpressSessionData[]>): Promise<unknown>;
  override all(callback?: StoreCallback<ExpressSessionData[]>): Promise<unknown> {
    return this.settle(this.sessions.all(), callback);
  }

  /** Ids of every live session (SCAN). */
  ids(callback?: undefined): Promise<string[]>;
  ids(callback: StoreCallback<string[]>): Promise<unknown>;
  ids(callback?: StoreCallback<string[]>): Promise<unknown> {
    return this.settle(this.sessions.ids(), callback);
  }

  /** Number of live sessions (SCAN). */
  override length(callback?: undefined): Promise<number>;
  override length(callback: StoreCallback<number>): Promise<unknown>;
  override length(callback?: StoreCallback<number>): Promise<unknown> {
    return this.settle(this.sessions.length(), callback);
  }

  /** Deletes every session and index under this store's prefixes. */
  override clear(callback?: undefined): Promise<void>;
  override clear(callback: StoreCallback<void>): Promise<unknown>;
  override clear(callback?: StoreCallback<void>): Promise<unknown> {
    return this.settle(this.sessions.clear(), callback);
  }

  /** Stops relaying the client's connection events (the client itself is yours to close). */
  close(): void {
    this.detach();
  }

  /** The promise an express-session method returns; a failure nobody receives goes to the 'error' event (see the class comment). */
  private settle<T>(work: Promise<T>, callback: StoreCallback<T> | undefined): Promise<unknown> {
    return callbackOrPromise(work, callback, (error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }
}
installUserSessionCalls(RedisStore);
installEngineFields(RedisStore, ['core', 'client', 'prefix', 'ttl', 'disableTouch', 'disableTTL', 'scanCount', 'serializer']);

// What the docs use, so that an app installs only this package.
export type { InvalidateOptions, SessionInfo, SessionRecord, SessionStore, Serializer, SessionLimitPolicy, SessionKitErrorCode } from '@sessionkit/core';
export type { FrameworkStoreOptions } from '@sessionkit/core/toolkit';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId, safeJsonSerializer } from '@sessionkit/core';
