import { createHmac, timingSafeEqual } from 'node:crypto';
import { cookies as nextCookies } from 'next/headers.js';
import { SessionKitError, type SessionStore } from '@sessionkit/core';
import {
  carriedTicket,
  FrameworkStore,
  newSessionId,
  optionSchema,
  requestHelpers,
  userSessionCalls,
  type CookieSession,
  type FrameworkStoreOptions,
  type ListedSession,
  type LogoutEverywhereOptions,
  type UserSessionCalls,
} from '@sessionkit/core/toolkit';

/** What an app keeps in a session: a JSON object. */
export type SessionData = Record<string, unknown>;

/**
 * The cookies a session reads and writes: what `cookies()` from 'next/headers' returns (read-only
 * in Server Components, writable in Server Actions and Route Handlers), or a `NextResponse`'s
 * `cookies` beside a `NextRequest`'s in proxy.ts (see `SessionKit.proxy`).
 */
export interface CookieJar {
  get(name: string): { value: string } | undefined;
  set?(name: string, value: string, options: CookieOptions): unknown;
  delete?(name: string): unknown;
}

/** The attributes of the session cookie as it is set. */
export interface CookieOptions {
  path: string;
  domain?: string;
  httpOnly: true;
  sameSite: 'lax' | 'strict';
  secure: boolean;
  maxAge: number;
}

export interface SessionCookieOptions {
  /** Default 'sid'. */
  name?: string;
  /** Default '/'. */
  path?: string;
  domain?: string;
  /** Default 'lax': the cookie goes with top-level navigations from other sites, never with their forms' POSTs. */
  sameSite?: 'lax' | 'strict';
  /**
   * Default: true when NODE_ENV is 'production' (what `next build` / `next start` set). A function
   * decides per request (behind a TLS-terminating proxy: from X-Forwarded-Proto, via `headers()`).
   */
  secure?: boolean | (() => boolean | Promise<boolean>);
}

/**
 * The options of `createSessionKit`: the store options every SessionKit adapter takes (see
 * FrameworkStoreOptions in @sessionkit/core for each one's meaning and default; `absoluteTimeout`,
 * `touchAfter`, `prefix`, `maxSessionsPerUser`, ...) but those this adapter takes over, and the ones below.
 */
export interface SessionKitOptions<Data extends object = SessionData>
  extends Omit<FrameworkStoreOptions, 'client' | 'ttl' | 'userId' | 'meta' | 'disableTouch' | 'disableTTL'> {
  /**
   * The Redis client (ioredis, node-redis, ...), or a function that returns it. Nothing is built
   * before the first request: `next build` evaluates route modules to collect page data, where
   * no Redis need answer (with a function, no client is even made then).
   */
  client?: FrameworkStoreOptions['client'] | (() => FrameworkStoreOptions['client']);
  /**
   * Sign the cookie with HMAC-SHA256: the first secret signs, every one verifies (rotation: put
   * the new one first, drop the old one once its cookies have lapsed). Required: a cookie whose
   * signature fails is no session, without a Redis round trip. A function is called on first
   * use (for secrets that only the running server knows, not `next build`).
   */
  secrets: string | readonly string[] | (() => string | readonly string[]);
  cookie?: SessionCookieOptions;
  /** Idle timeout in SECONDS: the session (and its cookie) ends this long after its last save or slide. Default 86 400. */
  ttl?: number;
  /** Finds the owner in the data. Default: `data.userId`, then `data.user.id`, then `data.passport.user`. */
  userId?: (data: Partial<Data>) => string | number | null | undefined;
  /** Device details kept beside the session for `listSessions`. Default: none (stored meta is kept). */
  meta?: (data: Partial<Data>) => Record<string, unknown> | null | undefined;
  /** Where `session()` and `getSession()` find the request's cookies. Default: `cookies()` from 'next/headers'. */
  cookies?: () => Promise<CookieJar> | CookieJar;
}

/** A session as a Server Component sees it: read-only, loaded with one Redis GET. */
export interface ReadonlySession<Data extends object = SessionData> {
  /** The session id, or undefined for a visitor without a live session. */
  readonly id: string | undefined;
  readonly data: Readonly<Partial<Data>>;
  /** The owner, as the `userId` option finds it in the data; undefined when anonymous. */
  readonly userId: string | undefined;
  /** The signed-in user's live sessions, most recent first, this one flagged `current`. Empty when anonymous. */
  listSessions(): Promise<ListedSession[]>;
}

/** A session in a Server Action, a Route Handler or proxy.ts: what it loaded, and the calls that write. */
export interface Session<Data extends object = SessionData> extends ReadonlySession<Data> {
  /** The data to change: `save()` writes the top-level keys this request set or deleted, merged with concurrent saves. */
  data: Partial<Data>;
  /**
   * Writes the data (a new session gets a fresh id and the cookie) and re-sends the cookie. An
   * unchanged session only slides its expiry, at most once per `touchAfter`: call it on every
   * request that should keep the session alive, it costs no Redis command in between.
   */
  save(): Promise<void>;
  /** A new id for the same data (call it at sign-in: an id planted before is worthless after), the old session ended. */
  regenerate(): Promise<void>;
  /** Ends the session in Redis and clears the cookie; the data is emptied. */
  destroy(): Promise<void>;
  /** Revokes one of the signed-in user's sessions (never another user's); revoking this one is `destroy()`. True if it was live. */
  revokeSession(id: string): Promise<boolean>;
  /** Revokes all the signed-in user's sessions, or all but this one with `keepCurrent`. Returns how many. */
  logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
}

export interface SessionKit<Data extends object = SessionData> extends UserSessionCalls {
  /**
   * For Server Components: the session, read-only, in one Redis GET; nothing is written (Next
   * does not let a Server Component set a cookie), so a read does not slide the expiry.
   */
  getSession(): Promise<ReadonlySession<Data>>;
  /** For Server Actions and Route Handlers: the session, with `save`, `regenerate` and `destroy`. Call it once per request. */
  session(): Promise<Session<Data>>;
  /**
   * For proxy.ts: the session of `request`, its cookie (re)set on `response`. `await (await
   * kit.proxy(request, response)).save()` slides the expiry of an unchanged session once per
   * `touchAfter`, for apps whose users may only read pages for longer than the TTL.
   */
  proxy(request: { cookies: Pick<CookieJar, 'get'> }, response: { cookies: Required<Pick<CookieJar, 'set' | 'delete'>> }): Promise<Session<Data>>;
  /** The core store: admin calls (ids, all, length, clear) and events ('corrupt', 'invalidate', 'evict', 'revoked-write'). */
  readonly core: SessionStore<Partial<Data>>;
  /** The lifecycle engine the kit loads, saves and destroys through (as every adapter has it; built on first use). */
  readonly sessions: FrameworkStore;
}

const nextOptions = optionSchema('next', {
  secrets: {},
  cookie: {},
  cookies: {},
  ttl: { unit: 's', lifetime: 'required', default: 86_400, check: positiveSeconds },
});
function positiveSeconds(ttl: unknown): number {
  if (typeof ttl !== 'number' || !(ttl > 0)) throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds, got ${String(ttl)}`);
  return ttl;
}

/** The shape of the ids the kit makes (newSessionId). */
const ID_PATTERN = /^[A-Za-z0-9_-]{32}$/;

/**
 * Sessions in Redis for the Next.js App Router. The cookie holds a random id and its HMAC; the
 * data lives in Redis with a sliding TTL, indexed under its owner for the per-user calls. Each
 * `session()` call is one request's load: the ticket of that load rides on the Session object it
 * returns, so parallel actions and handlers on one session each save only their own changes.
 * The lifecycle (loads, merges, slides, revocation) is core's FrameworkStore.
 */
export function createSessionKit<Data extends object = SessionData>(options: SessionKitOptions<Data>): SessionKit<Data> {
  if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'options are required: { client, secrets }');
  const { secrets: given, cookie = {}, cookies = nextCookies as unknown as () => Promise<CookieJar>, ...storeOptions } = options;
  const checkSecrets = (value: string | readonly string[] | undefined): string[] => {
    const list = (typeof value === 'string' ? [value] : [...(value ?? [])]).filter((s) => typeof s === 'string' && s !== '');
    if (list.length === 0) throw new SessionKitError('ERR_CONFIG', 'option secrets is required: one or more non-empty strings (the first signs)');
    return list;
  };
  // A function is called on first use, as `client` is; a value is checked now.
  let checked = typeof given === 'function' ? undefined : checkSecrets(given);
  const secretsOf = (): string[] => {
    checked ??= checkSecrets(typeof given === 'function' ? given() : given);
    return checked;
  };
  const ttlSeconds = positiveSeconds(storeOptions.ttl ?? 86_400);
  const name = cookie.name ?? 'sid';
  // Built on first use (see the `client` option), then kept: one engine per kit.
  let built: FrameworkStore | undefined;
  const engineOf = (): FrameworkStore => {
    if (built) return built;
    const { client } = storeOptions;
    built = new FrameworkStore({ ...storeOptions, client: typeof client === 'function' ? client() : client } as FrameworkStoreOptions, nextOptions);
    return built;
  };
  const calls = userSessionCalls(engineOf);

  const sign = (id: string, secret: string) => createHmac('sha256', secret).update(id).digest('base64url');
  /** The id a cookie value carries when one of the secrets signed it; else undefined, without asking Redis. */
  const unsign = (value: string | undefined): string | undefined => {
    const dot = value?.lastIndexOf('.') ?? -1;
    if (!value || dot < 0) return undefined;
    const id = value.slice(0, dot);
    if (!ID_PATTERN.test(id)) return undefined;
    const mac = Buffer.from(value.slice(dot + 1));
    return secretsOf().some((secret) => {
      const expected = Buffer.from(sign(id, secret));
      return expected.length === mac.length && timingSafeEqual(expected, mac);
    })
      ? id
      : undefined;
  };
  const attributes = async (): Promise<CookieOptions> => ({
    path: cookie.path ?? '/',
    ...(cookie.domain ? { domain: cookie.domain } : {}),
    httpOnly: true,
    sameSite: cookie.sameSite ?? 'lax',
    secure: typeof cookie.secure === 'function' ? await cookie.secure() : (cookie.secure ?? process.env.NODE_ENV === 'production'),
    maxAge: ttlSeconds,
  });

  /** The session the jar's cookie names: one GET, none for a cookie that is absent or fails its signature. */
  async function load(jar: CookieJar): Promise<{ id: string | undefined; data: Partial<Data>; loaded: boolean; ticketHolder: object }> {
    const id = unsign(jar.get(name)?.value);
    const found = id === undefined ? null : await engineOf().load(id, { noCookie: true });
    // The ticket rides on the object load returned (carryTicket): kept beside the data, never in it.
    if (!found) return { id: undefined, data: {}, loaded: false, ticketHolder: {} };
    return { id, data: found.session as Partial<Data>, loaded: true, ticketHolder: found.session };
  }

  const userIdOf = (data: Partial<Data>) => engineOf().userIdOf(data as CookieSession);

  function readonlySession(id: string | undefined, data: Partial<Data>): ReadonlySession<Data> {
    const helpers = requestHelpers<ReadonlySession<Data>>(calls, { current: (s) => ({ userId: s.userId, sid: s.id }), drop: () => {} });
    return {
      id,
      data,
      get userId() {
        return userIdOf(this.data);
      },
      listSessions() {
        return helpers.listSessions.call(this);
      },
    };
  }

  function writableSession(jar: CookieJar, loadedId: string | undefined, data: Partial<Data>, holder: object): Session<Data> {
    if (typeof jar.set !== 'function' || typeof jar.delete !== 'function') {
      throw new SessionKitError(
        'ERR_CONFIG',
        'session() needs writable cookies: call it in a Server Action or a Route Handler (in a Server Component, getSession())',
      );
    }
    const setCookie = jar.set.bind(jar);
    const deleteCookie = jar.delete.bind(jar);
    // A cookie that names no live session (ended, revoked, expired, corrupt, or forged) is
    // cleared, so the browser stops sending it (a signed one would cost a GET on every request).
    if (loadedId === undefined && jar.get(name) !== undefined) deleteCookie(name);
    let id = loadedId;
    const send = async () => setCookie(name, `${id}.${sign(id!, secretsOf()[0]!)}`, await attributes());
    const ttl = ttlSeconds * 1000;
    /** Writes the data under a fresh id (a new session: nothing to merge with). */
    const create = async (session: Session<Data>) => {
      id = newSessionId();
      await engineOf().set(id, session.data as CookieSession, { ttl });
    };

    const session: Session<Data> = {
      get id() {
        return id;
      },
      data,
      get userId() {
        return userIdOf(this.data);
      },
      async save() {
        if (id === undefined) await create(this);
        // Unchanged (it serializes as loaded, same owner): only the expiry slides, once per touchAfter.
        else await engineOf().set(id, this.data as CookieSession, { ticket: carriedTicket(holder), ttl, unchanged: 'compare', existing: true });
        await send();
      },
      async regenerate() {
        const old = id;
        await create(this);
        if (old !== undefined) await engineOf().destroy(old, { ticket: carriedTicket(holder) });
        await send();
      },
      async destroy() {
        if (id !== undefined) await engineOf().destroy(id, { ticket: carriedTicket(holder) });
        id = undefined;
        this.data = {};
        deleteCookie(name);
      },
      listSessions: () => helpers.listSessions.call(session),
      revokeSession: (sid) => helpers.revokeSession.call(session, sid),
      logoutEverywhere: (opts) => helpers.logoutEverywhere.call(session, opts),
    };
    const helpers = requestHelpers<Session<Data>>(calls, {
      current: (s) => ({ userId: s.userId, sid: s.id }),
      // Revoked in Redis already: forget it here, and clear the cookie.
      drop: (s) => {
        id = undefined;
        s.data = {};
        deleteCookie(name);
      },
    });
    return session;
  }

  return {
    async getSession() {
      const { id, data } = await load(await cookies());
      return readonlySession(id, data);
    },
    async session() {
      const jar = await cookies();
      const { id, data, ticketHolder } = await load(jar);
      return writableSession(jar, id, data, ticketHolder);
    },
    async proxy(request, response) {
      const { id, data, ticketHolder } = await load(request.cookies);
      const jar: CookieJar = {
        get: (cookieName) => request.cookies.get(cookieName),
        set: (cookieName, value, attributes) => response.cookies.set(cookieName, value, attributes),
        delete: (cookieName) => response.cookies.delete(cookieName),
      };
      return writableSession(jar, id, data, ticketHolder);
    },
    get core() {
      return engineOf().core as unknown as SessionStore<Partial<Data>>;
    },
    get sessions() {
      return engineOf();
    },
    ...calls,
  };
}

export type { ListedSession, LogoutEverywhereOptions, UserSessionCalls } from '@sessionkit/core/toolkit';
export type { InvalidateOptions, SessionInfo, SessionStore, Serializer, SessionLimitPolicy } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId } from '@sessionkit/core';
