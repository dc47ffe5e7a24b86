import { SessionKitError, type InvalidateOptions, type SessionInfo, type SessionStore } from '@sessionkit/core';
import { FrameworkStore, rethrowWithStatus, type CookieSession, type FrameworkStoreOptions, type Ticket } from '@sessionkit/core/toolkit';

/**
 * A session as koa-session hands it to a store: the session's JSON (`ctx.session.toJSON()`, no
 * keys starting with `_`) plus koa-session's own bookkeeping, which comes back on load.
 */
export interface KoaSessionData {
  /** When the cookie expires, epoch ms; koa-session treats the session as expired past it. Absent with `maxAge: 'session'`. */
  _expire?: number;
  /** This session's maxAge in ms; koa-session restores it into `ctx.sessionOptions` on load. */
  _maxAge?: number;
  /** True when the cookie lasts as long as the browser does (`maxAge: 'session'`). */
  _session?: boolean;
  [key: string]: unknown;
}

/** What koa-session passes as the last argument of `get` and `set`. */
export interface KoaStoreCallOptions {
  rolling?: boolean;
  /** koa-session's verdict: the session's data differs from what was loaded. */
  changed?: boolean;
  /** The request's Koa context. */
  ctx?: object;
}

/**
 * The options of @sessionkit/core's FrameworkStore (see there for every default), with Koa's
 * unit: `ttl` is in MILLISECONDS, as koa-session's `maxAge`. connect-redis's `disableTouch` and
 * `disableTTL` are left out: koa-session decides when a session is saved (`rolling`, `renew`).
 */
export type RedisStoreOptions<S = KoaSessionData> = Omit<FrameworkStoreOptions, 'ttl' | 'disableTouch' | 'disableTTL' | 'userId' | 'meta'> & {
  /**
   * Idle timeout in ms for sessions whose cookie has no expiry (koa-session's `maxAge: 'session'`),
   * slid by `rolling` saves. Sessions with a numeric maxAge expire in Redis when their cookie does.
   * Default 86 400 000 (one day, koa-session's default maxAge).
   */
  ttl?: number;
  /** Finds the owner in a session's data. Default: `session.userId`, then `session.user.id`. */
  userId?: (session: S) => string | number | null | undefined;
  /** Device details kept beside the session for `listUserSessions`. Default: none (stored meta is kept). */
  meta?: (session: S) => Record<string, unknown> | null | undefined;
};

/** The view of a koa-session session that FrameworkStore works on, and what Redis holds. */
type Stored = CookieSession;

/**
 * FrameworkStore takes the TTL from `cookie.expires` and, on load, rewrites `cookie.expires`
 * from the record's expiry, so that a slide that wrote nothing but the expiry still shows. So
 * the stored form carries koa-session's `_expire` as `cookie.expires`. A `cookie` key of the
 * app's own is kept under `_cookie`: koa-session never saves a key starting with `_`, so that
 * name cannot collide.
 */
const OWN_COOKIE = '_cookie';

function toStored(sess: KoaSessionData, maxAge: unknown): { stored: Stored; fingerprint: string } {
  const { _expire, ...data } = sess;
  // Taken before the cookie goes in: what `get` took of the loaded session, to tell "unchanged".
  const fingerprint = JSON.stringify(data);
  let stored: Record<string, unknown> = data;
  if ('cookie' in data) {
    stored = {};
    for (const key of Object.keys(data)) stored[key === 'cookie' ? OWN_COOKIE : key] = data[key];
  }
  let expire = typeof _expire === 'number' && Number.isFinite(_expire) ? _expire : undefined;
  // A caller other than koa-session may give only the maxAge (koa-session adds 10 s to it).
  if (expire === undefined && !sess._session && typeof maxAge === 'number' && Number.isFinite(maxAge)) expire = Date.now() + maxAge;
  if (expire !== undefined) stored.cookie = { expires: new Date(expire).toISOString() };
  return { stored: stored as Stored, fingerprint };
}

/** The session as koa-session wants it back, and (when asked) the fingerprint `set` compares with. */
function fromStored(stored: Stored, withFingerprint = false): { sess: KoaSessionData; fingerprint?: string } {
  // A record holding `_expire` was written by another koa-session store (koa-redis writes the
  // session's JSON as is): hand it over; its first save rewrites it in our form.
  if ('_expire' in stored) return { sess: stored as KoaSessionData };
  const sess: KoaSessionData = {};
  for (const key of Object.keys(stored)) {
    if (key === 'cookie') continue;
    sess[key === OWN_COOKIE ? 'cookie' : key] = stored[key];
  }
  const fingerprint = withFingerprint ? JSON.stringify(sess) : undefined;
  const expires = stored.cookie?.expires;
  if (expires) sess._expire = Date.parse(String(expires));
  return { sess, fingerprint };
}

/**
 * What `get` loaded in a request, kept on the Koa context (a non-enumerable symbol property, like
 * core's `carryTicket`): the ticket `set` hands back to FrameworkStore, so that concurrent saves
 * merge against what this request loaded, and, for a rolling save, the fingerprint that tells an
 * unchanged session.
 */
const LOADED = Symbol('sessionkit.koa.loaded');
interface Loaded {
  key: string;
  ticket: Ticket;
  fingerprint?: string;
}

/** Redis failures reach Koa as 503 (core's rethrowWithStatus). */
const withStatus = rethrowWithStatus('status');

/**
 * Redis session store for koa-session 7 (Koa 3 and 2), a thin layer over SessionKit's
 * `FrameworkStore`. Pass it as koa-session's `store` option.
 *
 * - The TTL follows the cookie (`_expire`, from koa-session's `maxAge`), in ms, on Redis's clock.
 * - A `rolling` (or `renew`) save of a session whose data did not change only moves the expiry,
 *   and only once `touchAfter` has passed: an unchanged session usually costs one Redis round trip
 *   per request (the read) even with `rolling: true`.
 * - A per-user index: `listUserSessions`, `revokeUserSession`, `invalidateAllUserSessions`; see
 *   `sessionHelpers` for the same on `ctx`.
 */
export class RedisStore<S extends KoaSessionData = KoaSessionData> {
  /** The shared framework layer (TTL from the cookie, touch throttling, owner lookup). */
  readonly sessions: FrameworkStore<Stored>;

  constructor(options: RedisStoreOptions<S>) {
    if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'store options are required: { client }');
    const { ttl, userId, meta, ...rest } = options;
    if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0)) {
      throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of milliseconds, got ${String(ttl)}`);
    }
    this.sessions = new FrameworkStore<Stored>({
      ...(rest as FrameworkStoreOptions<Stored>),
      // FrameworkStore counts this one in seconds (connect-redis's unit).
      ttl: (ttl ?? 86_400_000) / 1000,
      ...(userId ? { userId: (stored: Stored) => userId(stored as unknown as S) } : {}),
      ...(meta ? { meta: (stored: Stored) => meta(stored as unknown as S) } : {}),
    });
  }

  /** The Redis client. */
  get client(): FrameworkStoreOptions['client'] {
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

  /** The session (a fresh object), or null when absent, expired, revoked or unreadable. */
  async get(key: string, _maxAge?: unknown, options?: KoaStoreCallOptions): Promise<S | null> {
    // koa-session keeps no cookie in a session with `maxAge: 'session'` (see toStored).
    const loaded = await this.sessions.load(key, { cookieOptional: true }).catch(withStatus);
    if (!loaded) return null;
    const ctx = options?.ctx && typeof options.ctx === 'object' ? options.ctx : undefined;
    // Only a rolling save can use a fingerprint: koa-session saves an unchanged session only with
    // `rolling` (or, rarely, `renew`), and the JSON costs CPU.
    const { sess, fingerprint } = fromStored(loaded.session, ctx !== undefined && options?.rolling === true);
    if (ctx) Object.defineProperty(ctx, LOADED, { value: { key, ticket: loaded.ticket, fingerprint }, writable: true, configurable: true });
    return sess as S;
  }

  /**
   * Saves the session until its `_expire` (or for `ttl` with `maxAge: 'session'`). When the data
   * is what this request loaded, only the expiry moves (throttled by `touchAfter`).
   */
  async set(key: string, sess: S, maxAge?: unknown, options?: KoaStoreCallOptions): Promise<void> {
    const { stored, fingerprint } = toStored(sess, maxAge);
    const ctx = options?.ctx && typeof options.ctx === 'object' ? options.ctx : undefined;
    // Kept for a second save in the same request (`ctx.session.save()`, then the one koa-session
    // makes at the end): both were made from what this request loaded.
    const seen = (ctx as { [LOADED]?: Loaded } | undefined)?.[LOADED];
    // koa-session's `changed: false` also covers `ctx.session.save()` after a change, so the data
    // is compared too: unchanged means "what get returned", not only "koa-session saw no change".
    const same = seen !== undefined && seen.key === key;
    const unchanged = options?.changed === false && same && seen.fingerprint === fingerprint;
    await this.sessions.set(key, stored, { unchanged, ticket: same ? seen.ticket : undefined }).catch(withStatus);
  }

  /** Deletes the session; its id then refuses writes for `revokedTtl` ms. Unknown ids are not an error. */
  async destroy(key: string, _options?: KoaStoreCallOptions): Promise<void> {
    await this.sessions.destroy(key).catch(withStatus);
  }

  /** Every live session with its `id` (SCAN: for admin tools, not for request paths). */
  async all(): Promise<(S & { id: string })[]> {
    const all = await this.sessions.all().catch(withStatus);
    return all.map(({ id, ...stored }) => Object.assign(fromStored(stored as Stored).sess as S, { id }));
  }

  ids(): Promise<string[]> {
    return this.sessions.ids().catch(withStatus);
  }

  length(): Promise<number> {
    return this.sessions.length().catch(withStatus);
  }

  /** Deletes every session and index under this store's prefixes. */
  clear(): Promise<void> {
    return this.sessions.clear().catch(withStatus);
  }

  /**
   * Logout-everywhere: revokes every session of the user (one Redis round trip on a single
   * node), except `options.except` (typically `ctx.session.externalKey`). Returns how many.
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

  /** The owner of a session (koa-session's `ctx.session` or stored data), as the `userId` option finds it; undefined when anonymous. */
  userIdOf(session: object): string | undefined {
    return this.sessions.userIdOf(session as Stored);
  }
}
