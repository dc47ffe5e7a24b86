// fastify's `Session` interface (and `request.session`) come from @fastify/session's declarations.
/// <reference types="@fastify/session" />
import type { Session as FastifySession } from 'fastify';
import {
  callbackOrPromise,
  claimTicket,
  FrameworkStore,
  installAdapterStore,
  type AdapterStore,
  parkTicket,
  rethrowWithStatus,
  unparkTicket,
  type CookieSession,
  type FrameworkStoreOptions,
} from '@sessionkit/core/toolkit';

/**
 * A session as @fastify/session hands it to the store: fastify's `Session` interface (extend it
 * with your fields by declaration merging) with its `cookie`. What reaches Redis is its JSON:
 * your fields plus the cookie's `toJSON()` (`expires`, `originalMaxAge`, `originalExpires`,
 * `path`, `secure`, `sameSite`, `httpOnly`, `domain`).
 */
export type SessionData = FastifySession;

/**
 * Options, as connect-redis and @sessionkit/express name them. `ttl` is in SECONDS (as in
 * connect-redis) and only used when the cookie has no expiry; SessionKit's own durations are ms.
 * See FrameworkStoreOptions in @sessionkit/core/toolkit for every option and its default.
 */
export type RedisStoreOptions<S = SessionData> = FrameworkStoreOptions<S & CookieSession>;

type Callback = (error?: Error | null) => void;
type GetCallback<S> = (error: Error | null, session?: S | null) => void;

/**
 * Where a loaded session's ticket rides from `get` to the same request's save (core's
 * `parkTicket`: @fastify/session hands the store only a `Session` of its own, made from the
 * data's keys). `sessionKitPlugin` takes it off `request.session` before any route handler runs.
 */
const TICKET_KEY = '__sessionkitTicket';

/** Redis failures reach Fastify as 503 (core's rethrowWithStatus). */
const withStatus = rethrowWithStatus('statusCode');

/**
 * Redis session store for @fastify/session (Fastify 5), a thin layer over SessionKit's
 * `FrameworkStore`:
 *
 * - callback-style `get` / `set` / `destroy`, as @fastify/session calls them (each also returns
 *   a promise when called without a callback);
 * - `set` applies the sliding TTL, and a save that changes nothing but the expiry
 *   (`session.isModified() === false`, same cookie settings) only moves the expiry, and only
 *   once `touchAfter` has passed: an unchanged session usually costs one Redis round trip per
 *   request (the read) even with @fastify/session's default `rolling: true`;
 * - a per-user index: `listUserSessions`, `revokeUserSession`, `invalidateAllUserSessions`.
 */
export interface RedisStore<S = SessionData> extends AdapterStore<S, 'core' | 'client' | 'prefix' | 'userIdOf'> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above declares what the toolkit installs on the prototype below
export class RedisStore<S = SessionData> {
  /** The shared framework layer (connect-redis option semantics, TTL from the cookie, throttling). */
  readonly sessions: FrameworkStore<CookieSession>;

  constructor(options: RedisStoreOptions<S>) {
    this.sessions = new FrameworkStore<CookieSession>(options as FrameworkStoreOptions);
  }

  /** Moves the ticket parked in a loaded session into the store (core's `claimTicket`): sessionKitPlugin calls it for `request.session`. */
  claim(session: unknown): void {
    claimTicket(session, TICKET_KEY);
  }

  /** The session data (a fresh object), or null when absent, expired, revoked or unreadable. */
  get(sid: string, callback: GetCallback<S>): void;
  get(sid: string): Promise<S | null>;
  get(sid: string, callback?: GetCallback<S>): Promise<unknown> {
    const work = this.sessions
      .load(sid)
      .then((loaded) => (loaded ? (parkTicket(loaded, TICKET_KEY) as unknown as S) : null))
      .catch(withStatus);
    return callbackOrPromise(work, callback);
  }

  /** Saves the session with the sliding TTL; an unchanged session only has its expiry moved (throttled). */
  set(sid: string, session: S, callback: Callback): void;
  set(sid: string, session: S): Promise<void>;
  set(sid: string, session: S, callback?: Callback): Promise<unknown> {
    // @fastify/session's `Session` knows whether the data changed: a save that changes nothing only slides the expiry.
    const live = session as { isModified?: () => boolean } | null | undefined;
    const unchanged = typeof live?.isModified === 'function' && live.isModified() === false;
    const [data, ticket] = unparkTicket(session as CookieSession, TICKET_KEY);
    const work = this.sessions.set(sid, data, { unchanged, ticket }).catch(withStatus);
    return callbackOrPromise(work, callback);
  }

  /** Deletes the session; its id then refuses writes for `revokedTtl` ms. Unknown ids are not an error. */
  destroy(sid: string, callback: Callback): void;
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback?: Callback): Promise<unknown> {
    const work = this.sessions.destroy(sid).catch(withStatus);
    return callbackOrPromise(work, callback);
  }

  /**
   * Slides the expiry (throttled by `touchAfter`). @fastify/session never calls it; it is here
   * for code that wants to keep a session alive without saving it (e.g. with `rolling: false`).
   */
  touch(sid: string, session: S, callback: Callback): void;
  touch(sid: string, session: S): Promise<void>;
  touch(sid: string, session: S, callback?: Callback): Promise<unknown> {
    const [data, ticket] = unparkTicket(session as CookieSession, TICKET_KEY);
    const work = this.sessions.touch(sid, data, { ticket }).catch(withStatus);
    return callbackOrPromise(work, callback);
  }
}
installAdapterStore(RedisStore, { rethrow: withStatus, fields: ['core', 'client', 'prefix', 'userIdOf'] });
