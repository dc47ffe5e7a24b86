// fastify's `Session` interface (and `request.session`) come from @fastify/session's declarations.
/// <reference types="@fastify/session" />
import type { Session as FastifySession } from 'fastify';
import type { InvalidateOptions, SessionInfo, SessionStore } from '@sessionkit/core';
import {
  FrameworkStore,
  rethrowWithStatus,
  carriedTicket,
  carryTicket,
  settle,
  Ticket,
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
 * See FrameworkStoreOptions in @sessionkit/core for every option and its default.
 */
export type RedisStoreOptions<S = SessionData> = Omit<FrameworkStoreOptions, 'ttl' | 'userId' | 'meta'> & {
  /** SECONDS, or a function of the session returning seconds; used when the cookie has no expiry. Default 86 400. */
  ttl?: number | ((session: S) => number);
  /** Finds the owner in a session. Default: `session.userId`, then `session.user.id`. */
  userId?: (session: S) => string | number | null | undefined;
  /** Device details kept beside the session for `listUserSessions`. Default: none (stored meta is kept). */
  meta?: (session: S) => Record<string, unknown> | null | undefined;
};

type Callback = (error?: Error | null) => void;
type GetCallback<S> = (error: Error | null, session?: S | null) => void;
type ValueCallback<T> = (error: Error | null, value?: T) => void;

/**
 * Where a loaded session's ticket rides from `get` to the same request's save. @fastify/session
 * copies the loaded data's keys onto a `Session` of its own and hands only that to the store, so
 * the data is the one carrier: the ticket's JSON is nothing (neither stored nor in
 * `JSON.stringify(request.session)`, nor in @fastify/session's change detection), and
 * `sessionKitPlugin` takes it off `request.session` before any route handler runs.
 */
const TICKET_KEY = '__sessionkitTicket';

/** What @fastify/session's `Session` adds to the data: used to spot saves that change nothing. */
interface LiveSession {
  isModified?: () => boolean;
}

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
export class RedisStore<S = SessionData> {
  /** The shared framework layer (connect-redis option semantics, TTL from the cookie, throttling). */
  readonly sessions: FrameworkStore<CookieSession>;

  constructor(options: RedisStoreOptions<S>) {
    this.sessions = new FrameworkStore<CookieSession>(options as FrameworkStoreOptions);
  }

  /**
   * Moves the ticket a loaded session carries off it, into the store (sessionKitPlugin calls this
   * for `request.session` once @fastify/session has loaded it), so that the app's session shows
   * no key of SessionKit's.
   */
  claim(session: unknown): void {
    if (!session || typeof session !== 'object' || !Object.hasOwn(session, TICKET_KEY)) return;
    const record = session as Record<string, unknown>;
    const ticket = record[TICKET_KEY];
    delete record[TICKET_KEY];
    if (ticket instanceof Ticket) carryTicket(session, ticket);
  }

  /** The session without its ticket, and the ticket: what the request loaded. */
  private unpack(session: S): [CookieSession, Ticket | undefined] {
    const record = session as unknown as Record<string, unknown>;
    if (!record || typeof record !== 'object' || !Object.hasOwn(record, TICKET_KEY)) return [record as CookieSession, carriedTicket(record)];
    const { [TICKET_KEY]: ticket, ...data } = record;
    return [data as CookieSession, ticket instanceof Ticket ? ticket : undefined];
  }

  /** The Redis client, ioredis or node-redis, as passed. */
  get client(): NonNullable<FrameworkStoreOptions['client']> {
    return this.sessions.client;
  }

  /** The session key prefix. */
  get prefix(): string {
    return this.sessions.core.options.prefix;
  }

  /** The core store: its client, its options, and its events (`corrupt`, `invalidate`, `evict`, `revoked-write`). */
  get core(): SessionStore<S> {
    return this.sessions.core as unknown as SessionStore<S>;
  }

  /** The session data (a fresh object), or null when absent, expired, revoked or unreadable. */
  get(sid: string, callback: GetCallback<S>): void;
  get(sid: string): Promise<S | null>;
  // biome-ignore lint/suspicious/noConfusingVoidType: the implementation of the two overloads above (callback: nothing; none: a promise)
  get(sid: string, callback?: GetCallback<S>): Promise<S | null> | void {
    const work = this.sessions
      .load(sid)
      .then((loaded) => (loaded ? (Object.assign(loaded.session, { [TICKET_KEY]: loaded.ticket }) as unknown as S) : null))
      .catch(withStatus);
    if (!callback) return work;
    settle(work, callback);
  }

  /** Saves the session with the sliding TTL; an unchanged session only has its expiry moved (throttled). */
  set(sid: string, session: S, callback: Callback): void;
  set(sid: string, session: S): Promise<void>;
  set(sid: string, session: S, callback?: Callback): Promise<void> | void {
    const live = session as (CookieSession & LiveSession) | null | undefined;
    const unchanged = typeof live?.isModified === 'function' && live.isModified() === false;
    const [data, ticket] = this.unpack(session);
    const work = this.sessions.set(sid, data, { unchanged, ticket }).catch(withStatus);
    if (!callback) return work;
    settle(work, callback);
  }

  /** Deletes the session; its id then refuses writes for `revokedTtl` ms. Unknown ids are not an error. */
  destroy(sid: string, callback: Callback): void;
  destroy(sid: string): Promise<void>;
  destroy(sid: string, callback?: Callback): Promise<void> | void {
    const work = this.sessions.destroy(sid).catch(withStatus);
    if (!callback) return work;
    settle(work, callback);
  }

  /**
   * Slides the expiry (throttled by `touchAfter`). @fastify/session never calls it; it is here
   * for code that wants to keep a session alive without saving it (e.g. with `rolling: false`).
   */
  touch(sid: string, session: S, callback: Callback): void;
  touch(sid: string, session: S): Promise<void>;
  touch(sid: string, session: S, callback?: Callback): Promise<void> | void {
    const [data, ticket] = this.unpack(session);
    const work = this.sessions.touch(sid, data, { ticket }).catch(withStatus);
    if (!callback) return work;
    settle(work, callback);
  }

  /** Every live session with its `id` (SCAN: for admin tools, not for request paths). */
  all(callback?: ValueCallback<(S & { id: string })[]>): Promise<(S & { id: string })[]> {
    return this.optional(this.sessions.all() as Promise<(S & { id: string })[]>, callback);
  }

  ids(callback?: ValueCallback<string[]>): Promise<string[]> {
    return this.optional(this.sessions.ids(), callback);
  }

  length(callback?: ValueCallback<number>): Promise<number> {
    return this.optional(this.sessions.length(), callback);
  }

  clear(callback?: ValueCallback<void>): Promise<void> {
    return this.optional(this.sessions.clear(), callback);
  }

  /**
   * Logout-everywhere: revokes every session of the user (one Redis round trip on a single
   * node), except `options.except` (typically `request.session.sessionId`). Returns how many.
   */
  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number> {
    return this.sessions.invalidateAllUserSessions(userId, options).catch(withStatus);
  }

  /** The user's live sessions (no data: id, createdAt, expiresAt, lastSeenAt, meta), most recent first. */
  listUserSessions(userId: string | number): Promise<SessionInfo[]> {
    return this.sessions.listUserSessions(userId).catch(withStatus);
  }

  countUserSessions(userId: string | number): Promise<number> {
    return this.sessions.countUserSessions(userId).catch(withStatus);
  }

  /** Revokes `sid` only if it belongs to `userId`: safe to expose as "sign out that device". */
  revokeUserSession(userId: string | number, sid: string): Promise<boolean> {
    return this.sessions.revokeUserSession(userId, sid).catch(withStatus);
  }

  /** The owner of a session, as the `userId` option finds it; undefined when anonymous. */
  userIdOf(session: S): string | undefined {
    return this.sessions.userIdOf(session as CookieSession);
  }

  /** With a callback: calls it and never rejects. Without: the promise. */
  private optional<T>(work: Promise<T>, callback: ValueCallback<T> | undefined): Promise<T> {
    const mapped = work.catch(withStatus);
    if (!callback) return mapped;
    settle(mapped, callback);
    return mapped.catch(() => undefined as T);
  }
}
