import { SessionKitError } from '@sessionkit/core';
import {
  FrameworkStore,
  installAdapterStore,
  type AdapterStore,
  rethrowWithStatus,
  type CookieSession,
  type FrameworkStoreOptions,
  carriedTicket,
  carryTicket,
} from '@sessionkit/core/toolkit';

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
export type RedisStoreOptions<S = KoaSessionData> = Omit<FrameworkStoreOptions<S & CookieSession>, 'ttl' | 'disableTouch' | 'disableTTL'> & {
  /**
   * Idle timeout in ms for sessions whose cookie has no expiry (koa-session's `maxAge: 'session'`),
   * slid by `rolling` saves. Sessions with a numeric maxAge expire in Redis when their cookie does.
   * Default 86 400 000 (one day, koa-session's default maxAge).
   */
  ttl?: number;
};

/**
 * FrameworkStore takes the TTL from `cookie.expires` and, on load, rewrites `cookie.expires`
 * from the record's expiry, so that a slide that wrote nothing but the expiry still shows. So
 * the stored form carries koa-session's `_expire` as `cookie.expires`. A `cookie` key of the
 * app's own is kept under `_cookie`: koa-session never saves a key starting with `_`, so that
 * name cannot collide.
 */
const OWN_COOKIE = '_cookie';

function toStored(sess: KoaSessionData, maxAge: unknown): CookieSession {
  const { _expire, ...data } = sess;
  let stored: Record<string, unknown> = data;
  if ('cookie' in data) {
    stored = {};
    for (const key of Object.keys(data)) stored[key === 'cookie' ? OWN_COOKIE : key] = data[key];
  }
  let expire = typeof _expire === 'number' && Number.isFinite(_expire) ? _expire : undefined;
  // A caller other than koa-session may give only the maxAge (koa-session adds 10 s to it).
  if (expire === undefined && !sess._session && typeof maxAge === 'number' && Number.isFinite(maxAge)) expire = Date.now() + maxAge;
  if (expire !== undefined) stored.cookie = { expires: new Date(expire).toISOString() };
  return stored as CookieSession;
}

/** The session as koa-session wants it back. */
function fromStored(stored: CookieSession): KoaSessionData {
  // A record holding `_expire` was written by another koa-session store (koa-redis writes the
  // session's JSON as is): hand it over; its first save rewrites it in our form.
  if ('_expire' in stored) return stored as KoaSessionData;
  const sess: KoaSessionData = {};
  for (const key of Object.keys(stored)) {
    if (key === 'cookie') continue;
    sess[key === OWN_COOKIE ? 'cookie' : key] = stored[key];
  }
  const expires = stored.cookie?.expires;
  if (expires) sess._expire = Date.parse(String(expires));
  return sess;
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
export interface RedisStore<S extends KoaSessionData = KoaSessionData> extends AdapterStore<S, 'core' | 'client' | 'prefix' | 'userIdOf'> {}
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface above declares what the toolkit installs on the prototype below
export class RedisStore<S extends KoaSessionData = KoaSessionData> {
  /** The shared framework layer (TTL from the cookie, touch throttling, owner lookup). */
  readonly sessions: FrameworkStore<CookieSession>;

  constructor(options: RedisStoreOptions<S>) {
    if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'store options are required: { client }');
    const { ttl, ...rest } = options;
    if (ttl !== undefined && !(typeof ttl === 'number' && ttl > 0)) {
      throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of milliseconds, got ${String(ttl)}`);
    }
    this.sessions = new FrameworkStore<CookieSession>({
      ...(rest as FrameworkStoreOptions<CookieSession>),
      // FrameworkStore counts this one in seconds (connect-redis's unit).
      ttl: (ttl ?? 86_400_000) / 1000,
    });
  }

  /** The session (a fresh object), or null when absent, expired, revoked or unreadable. */
  async get(key: string, _maxAge?: unknown, options?: KoaStoreCallOptions): Promise<S | null> {
    const ctx = options?.ctx && typeof options.ctx === 'object' ? options.ctx : undefined;
    // koa-session keeps no cookie in a session with `maxAge: 'session'` (see toStored), and saves
    // an unchanged session only with `rolling` (or, rarely, `renew`): only then is it compared.
    const compare = ctx !== undefined && options?.rolling === true;
    const loaded = await this.sessions.load(key, { cookieOptional: true, compare }).catch(withStatus);
    if (!loaded) return null;
    if (ctx) carryTicket(ctx, loaded.ticket); // koa-session hands `set` the context, not the session
    return fromStored(loaded.session) as S;
  }

  /**
   * Saves the session until its `_expire` (or for `ttl` with `maxAge: 'session'`). When the data
   * is what this request loaded, only the expiry moves (throttled by `touchAfter`).
   */
  async set(key: string, sess: S, maxAge?: unknown, options?: KoaStoreCallOptions): Promise<void> {
    const stored = toStored(sess, maxAge);
    // koa-session's `changed: false` also covers `ctx.session.save()` after a change, so the data is
    // compared too: unchanged means "what get returned". (A ticket of another id, after `regenerate()`, counts as none.)
    const unchanged = options?.changed === false ? 'compare' : false;
    await this.sessions.set(key, stored, { unchanged, ticket: carriedTicket(options?.ctx) }).catch(withStatus);
  }

  /** Deletes the session; its id then refuses writes for `revokedTtl` ms. Unknown ids are not an error. */
  async destroy(key: string, _options?: KoaStoreCallOptions): Promise<void> {
    await this.sessions.destroy(key).catch(withStatus);
  }
}
installAdapterStore(RedisStore, { rethrow: withStatus, toSession: fromStored, fields: ['core', 'client', 'prefix', 'userIdOf'] });
