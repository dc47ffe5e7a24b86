import type { RedisClient } from './client/index.js';
import { CorruptSessionError, SessionKitError } from './errors.js';
import { hashId } from './keys.js';
import { applyChanges, changesSince, type Changes } from './merge.js';
import { requireClient, ResolvedStoreOptions, storeSchema, type ResolvedOptions, type SessionStoreOptions } from './options.js';
import { optionSchema, resolveSchema, type OptionLayer, type OptionSpec } from './option-schema.js';
import { checkedOwner, defaultOwner } from './owner.js';
import type { SessionInfo } from './records.js';
import { SessionStore, type InvalidateOptions, type LoadedSession, type SetResult } from './store.js';
import { isTraced, operationContext, readOutcome, sessionFields, settleOutcome, traced, type OperationContext } from './tracing.js';

/** The part of a framework session this layer reads: both express-session and @fastify/session have it. */
export interface CookieSession {
  cookie?: { expires?: string | Date | null; originalMaxAge?: number | null } | null;
  [key: string]: unknown;
}

/**
 * The core store's options (durations in ms), plus connect-redis's semantics for `ttl` (SECONDS)
 * and the framework-level ones below.
 */
export interface FrameworkStoreOptions<S extends CookieSession = CookieSession> extends Omit<SessionStoreOptions, 'client' | 'ttl'> {
  /** The Redis client (ioredis `Redis`/`Cluster`, or a connected node-redis client). Required unless `store` is given. */
  client?: RedisClient;
  /** Use an existing core store (its client, prefixes and limits) instead of building one. */
  store?: SessionStore;
  /**
   * As in connect-redis: SECONDS, or a function of the session returning seconds. Used when the
   * cookie has no `expires`; with a cookie expiry, the TTL follows the cookie. Default 86 400.
   */
  ttl?: number | ((session: S) => number);
  /** As in connect-redis: never extend expiry on touch. Default false. */
  disableTouch?: boolean;
  /** As in connect-redis: keys never expire in Redis (and the cookie governs). Default false. */
  disableTTL?: boolean;
  /** Finds the owner in a session. Default: `session.userId`, then `session.user.id`, then Passport's `session.passport.user`. */
  userId?: (session: S) => string | number | null | undefined;
  /** Device details to keep beside the session for listings. Default: none (stored meta is kept). */
  meta?: (session: S) => Record<string, unknown> | null | undefined;
  /**
   * Skip a touch (and a data-unchanged save) when the stored expiry would move by less than this
   * many ms. This is what keeps an unchanged session at one Redis round trip per request. Default
   * 60 000, or a tenth of the TTL when that is smaller; 0 refreshes on every request.
   */
  touchAfter?: number;
  /**
   * Concurrent requests on one session keep each other's changes: a save writes only the
   * top-level keys its request set, replaced or deleted since it loaded the session (see
   * docs/core.md, "Concurrent saves"). Default true; false: the last save replaces the whole
   * session, as in connect-redis.
   */
  mergeSaves?: boolean;
}

/** What one request loaded, held by its ticket from `load` until the same request's save. */
interface Loaded {
  /** The session id loaded: a ticket speaks for this session only. */
  sid: string;
  at: number;
  createdAt: number;
  expiresAt: number;
  /** No extension goes past it (absoluteTimeout). */
  absoluteExpiresAt?: number;
  userId?: string;
  /**
   * The loaded cookie, copied before the framework sees it: compared with the saved one (see
   * `cookieSettings`) only by a save that says the session is unchanged, so the comparison is
   * not paid by every read.
   */
  cookie: Record<string, unknown> | undefined;
  /** Written by another store (connect-redis): its data's cookie expiry is the one that counts. */
  legacy?: true;
  /** Loaded with `noCookie`: a `cookie` key is the app's own, not settings to compare. */
  noCookie?: true;
  /** The stored version and data text, which a save compares with to merge (see `mergeSaves`). */
  version: number;
  text: string;
  /** The data's text without its cookie, taken at load for a save that will compare (see `LoadShape.compare`). */
  fingerprint?: string;
  /** The meta as loaded, when it is stored in clear or under an older encryption key: the next save sets it again, sealed under the current key. */
  staleMeta?: Record<string, unknown>;
}

let stateOf: (ticket: Ticket) => Loaded | undefined;

/**
 * What one request loaded: handed out by `load`, given back to `set` and `touch` by the same
 * request. Opaque: an adapter only carries it from its framework's load to its framework's save,
 * on whatever object the framework keeps per request (express-session's Session, Koa's context,
 * React Router's Session; see `carryTicket`), so that overlapping requests of one session each
 * merge against what they loaded, and nothing of SessionKit's enters the session the app sees.
 * Its JSON is nothing: where a framework leaves no other place than the data itself (see the
 * Fastify adapter), a ticket parked there is never serialized.
 */
export class Ticket {
  // A private field, not a WeakMap from tickets to states: a WeakMap entry per request cost about
  // a microsecond of garbage collection each (bench:store-js), for nothing a field cannot do.
  readonly #state: Loaded | undefined;

  /** @internal Tickets come from `load`; one made here stands for "nothing loaded". */
  constructor(state?: Loaded) {
    this.#state = state;
  }

  static {
    stateOf = (ticket) => ticket.#state;
  }

  toJSON(): undefined {
    return undefined;
  }
}

const CARRIED = Symbol('sessionkit.ticket');

/**
 * Puts a ticket on the object a framework keeps for one request (its session object, its
 * context) for the same request's save to find: a non-enumerable symbol property, so it is in no
 * `Object.keys`, `JSON.stringify`, `for...in`, spread or deep-equality of that object. `load`
 * puts one on the session it returns; an adapter whose framework copies that session onto an
 * object of its own carries the ticket over (express-session's `createSession`).
 */
export function carryTicket(holder: object, ticket: Ticket): void {
  Object.defineProperty(holder, CARRIED, { value: ticket, writable: true, configurable: true });
}

/** The ticket `carryTicket` put on an object, if any. */
export function carriedTicket(holder: unknown): Ticket | undefined {
  return holder !== null && typeof holder === 'object' ? (holder as { [CARRIED]?: Ticket })[CARRIED] : undefined;
}

/**
 * For a framework that copies the loaded data's keys onto a session object of its own and hands
 * only that to its saves (@fastify/session): the loaded data with its ticket parked under `key`,
 * the one place it can ride (its JSON is nothing). `claimTicket` moves it off the framework's
 * session once built; `unparkTicket` takes it off the data a save is handed.
 */
export function parkTicket<S extends object>(loaded: LoadedFrameworkSession<S>, key: string): S {
  return Object.assign(loaded.session, { [key]: loaded.ticket });
}

/** Moves a ticket parked under `key` off `holder` and carries it there (`carryTicket`): the app's session then shows no key of SessionKit's. */
export function claimTicket(holder: unknown, key: string): void {
  if (!holder || typeof holder !== 'object' || !Object.hasOwn(holder, key)) return;
  const record = holder as Record<string, unknown>;
  const ticket = record[key];
  delete record[key];
  if (ticket instanceof Ticket) carryTicket(holder, ticket);
}

/** The data without a ticket parked under `key`, and the ticket (parked there, or else carried). */
export function unparkTicket<S>(data: S, key: string): [S, Ticket | undefined] {
  const record = data as Record<string, unknown>;
  if (!record || typeof record !== 'object' || !Object.hasOwn(record, key)) return [data, carriedTicket(record)];
  const { [key]: ticket, ...rest } = record;
  return [rest as S, ticket instanceof Ticket ? ticket : undefined];
}

/** A session as `load` returns it: the data for the framework, and the ticket for its save. */
export interface LoadedFrameworkSession<S> {
  session: S;
  ticket: Ticket;
}

/** What an adapter tells a save or a touch. */
export interface SaveHints {
  /**
   * What this request loaded. Without one, the latest load of the id in this process stands in
   * (right unless requests of one session overlap), or nothing for a session not loaded lately.
   */
  ticket?: Ticket | undefined;
  /**
   * The framework knows the data is unchanged since the load (@fastify/session's `isModified()`),
   * or, with 'compare', cannot tell: then it is unchanged when it serializes as it did when loaded
   * (React Router; Koa, whose cookie expiry moves on every rolling save), cookie left out, which
   * costs a serialization. A session with a cookie must have been loaded with `compare`.
   */
  unchanged?: boolean | 'compare';
  /**
   * The TTL in ms the framework gave this save (React Router passes each commit's expiry), in
   * place of the one from the cookie or the `ttl` option.
   */
  ttl?: number;
  /**
   * The save must not create the session (React Router's `updateData`). Unless it was loaded
   * lately enough that any revocation since still has its tombstone (min(30 s, revokedTtl / 2)),
   * it is looked up first, and nothing is written if it is gone; found but not loaded by this
   * request, it is replaced.
   */
  existing?: boolean;
}

/** How `load` reads the data. */
export interface LoadShape {
  /**
   * A session without a `cookie` object is valid (koa-session stores none with `maxAge: 'session'`).
   * Otherwise it is corrupt: express-session and @fastify/session always store one, and
   * express-session throws on a session without it, failing every request of that cookie (sign-in
   * included) until the key expired.
   */
  cookieOptional?: boolean;
  /**
   * The framework keeps no cookie in the data (React Router: each save brings its TTL, see
   * `SaveHints.ttl`): a `cookie` key is the app's own, neither checked nor rewritten.
   */
  noCookie?: boolean;
  /**
   * The save will pass `unchanged: 'compare'` (Koa's rolling saves): the load keeps the data's
   * text without its cookie to compare with, one serialization per load. Not needed with
   * `noCookie`, where the text loaded is that already.
   */
  compare?: boolean;
}

/** The latest loads kept for saves that bring no ticket: bounded, and stale after 30 s. */
const LATEST_LIMIT = 10_000;
const LOADED_MAX_AGE_MS = 30_000;
/** Conflicting saves retried before giving up: one more per save that landed in between. */
const MERGE_ATTEMPTS = 64;
const HUNDRED_YEARS_MS = 100 * 365 * 86_400_000;
/** An unchanged save that would move the expiry back (a shorter cookie) by less than this is not worth a write. */
const SHORTEN_TOLERANCE_MS = 1_000;

/**
 * The framework layer's options, declared (see option-schema.ts): the core store's entries, with
 * connect-redis's `ttl` (SECONDS, or a function) in place of core's, then the ones below. The
 * store-layer entries configure the SessionStore built here (none when `store` is given). tsc
 * fails when an option is added to FrameworkStoreOptions and not here.
 */
const frameworkOnly = optionSchema('framework', {
  store: {},
  disableTouch: { default: false },
  disableTTL: { default: false },
  userId: { default: defaultOwner },
  meta: {},
  touchAfter: {
    unit: 'ms',
    check: (touchAfter) => {
      if (touchAfter !== undefined && !((touchAfter as number) >= 0)) {
        throw new SessionKitError('ERR_CONFIG', `option touchAfter must be a non-negative number of ms, got ${String(touchAfter)}`);
      }
      return touchAfter;
    },
  },
  mergeSaves: { default: true },
} satisfies Record<Exclude<keyof FrameworkStoreOptions, keyof SessionStoreOptions>, Omit<OptionSpec, 'name' | 'layer'>>);

const frameworkTtl = optionSchema('framework', {
  ttl: {
    unit: 's',
    lifetime: 'required',
    default: 86_400,
    check: (ttl) => {
      if (typeof ttl !== 'function' && (typeof ttl !== 'number' || !(ttl > 0))) {
        throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds or a function, got ${String(ttl)}`);
      }
      return ttl;
    },
  },
});

export const frameworkSchema: readonly OptionSpec[] = [...storeSchema.map((entry) => (entry.name === 'ttl' ? frameworkTtl[0]! : entry)), ...frameworkOnly];

/**
 * The cookie's settings without its expiry (maxAge, path, domain, secure, ...), as a string.
 * A save whose data is unchanged but whose cookie settings changed (a "remember me" maxAge,
 * @fastify/session's `session.options()`) must still be written, or the change would be lost.
 */
function cookieSettings(session: CookieSession): string {
  const raw = session?.cookie as (Record<string, unknown> & { toJSON?: () => unknown }) | null | undefined;
  if (!raw || typeof raw !== 'object') return '';
  const cookie = (typeof raw.toJSON === 'function' ? raw.toJSON() : raw) as Record<string, unknown>;
  if (!cookie || typeof cookie !== 'object') return '';
  let out = '';
  for (const key of Object.keys(cookie).sort()) {
    if (key === 'expires' || key === 'originalExpires' || key === '_expires' || cookie[key] === undefined) continue;
    out += `${key}=${JSON.stringify(cookie[key])};`;
  }
  return out;
}

/** Why stored data cannot be handed to a framework as a session, or undefined when it can. */
function sessionShapeProblem(session: unknown, cookieOptional: boolean | 'none'): string | undefined {
  if (!session || typeof session !== 'object' || Array.isArray(session)) return 'stored session is not an object';
  const cookie = (session as CookieSession).cookie;
  if (cookieOptional === 'none' || (cookie === undefined && cookieOptional)) return undefined;
  if (!cookie || typeof cookie !== 'object' || Array.isArray(cookie)) return 'stored session has no cookie object';
  return undefined;
}

/**
 * The session lifecycle every framework adapter shares: load (and the ticket of what a request
 * loaded), connect-redis option semantics, TTL from the cookie, touch throttling, cheap unchanged
 * saves, merge-and-retry of conflicting saves, the owner and device finders, and the per-user
 * calls. An adapter maps its framework's store contract onto these and carries each ticket from
 * load to save; see docs/architecture.md.
 */
export class FrameworkStore<S extends CookieSession = CookieSession> {
  readonly core: SessionStore<S>;
  private readonly ttl: number | ((session: S) => number);
  private readonly disableTouch: boolean;
  private readonly disableTTL: boolean;
  private readonly touchAfter: number | undefined;
  private readonly mergeSaves: boolean;
  private readonly findUserId: (session: S) => string | number | null | undefined;
  private readonly findMeta: ((session: S) => Record<string, unknown> | null | undefined) | undefined;
  /** Per process: session id -> its latest load, for saves and destroys that bring no ticket. */
  private readonly latest = new Map<string, Ticket>();

  /**
   * `adapterOptions`: the adapter's own options (see option-schema.ts), known beside the shared
   * ones and resolved with them: `resolved` has their values. An entry named as a shared one
   * replaces it (React Router's `ttl` takes no function); it must resolve to the shared one's
   * type and unit.
   */
  readonly resolved: Readonly<Record<string, unknown>>;

  constructor(options: FrameworkStoreOptions<S>, adapterOptions: readonly OptionSpec[] = []) {
    if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'store options are required: { client }');
    const { store } = options;
    // With a store given, the store-layer options configure nothing: only their names are known.
    const layers = store === undefined ? undefined : adapterLayers(adapterOptions);
    if (store === undefined) requireClient(options);
    const resolved = resolveSchema(withAdapterOptions(adapterOptions), options as unknown as Record<string, unknown>, 'RedisStore', { layers });
    this.resolved = resolved;
    this.ttl = resolved.ttl as number | ((session: S) => number);
    this.disableTouch = resolved.disableTouch as boolean;
    this.disableTTL = resolved.disableTTL as boolean;
    this.touchAfter = resolved.touchAfter as number | undefined;
    this.mergeSaves = resolved.mergeSaves as boolean;
    this.findUserId = resolved.userId as (session: S) => string | number | null | undefined;
    this.findMeta = resolved.meta as ((session: S) => Record<string, unknown> | null | undefined) | undefined;
    if (store !== undefined) {
      this.core = store as SessionStore<S>;
      return;
    }
    // The core store takes the store layer's values as resolved here: its `ttl` in ms, the
    // default TTL of a core call that gives none (a ttl function's sessions always give one).
    const core: Record<string, unknown> = {};
    for (const entry of storeSchema) core[entry.name] = resolved[entry.name];
    core.ttl = typeof this.ttl === 'number' ? this.ttl * 1000 : 86_400_000;
    this.core = new SessionStore<S>(new ResolvedStoreOptions(core as unknown as ResolvedOptions));
  }

  get client(): RedisClient {
    return this.core.client;
  }

  /**
   * Calls `listener` with true when the Redis client (re)connects and false when it loses its
   * connection (express-session's 'connect' / 'disconnect' events); returns the function that stops it.
   */
  onConnectionChange(listener: (up: boolean) => void): () => void {
    return this.core.redis.onConnectionChange(listener);
  }

  /** The session data alone (see `load`). */
  get(sid: string, shape: LoadShape = {}): Promise<S | null> {
    if (!isTraced('get')) return this.readSession(sid, shape);
    return traced(operationContext('get', sessionFields(sid)), () => this.readSession(sid, shape), readOutcome);
  }

  private async readSession(sid: string, shape: LoadShape): Promise<S | null> {
    // Not through `load`: one async layer less on every read (bench:store-js).
    return this.loaded(sid, await this.core.load(sid), shape)?.session ?? null;
  }

  /**
   * The session data, with `cookie.expires` set to the stored expiry when the TTL follows the
   * cookie (so a touch shows in a later get), and the ticket its save gives back. A fresh object
   * every call. Null when absent, and when the data cannot be a session (reported as 'corrupt').
   * See `LoadShape` for the frameworks whose data holds no cookie, or not always.
   */
  load(sid: string, shape: LoadShape = {}): Promise<LoadedFrameworkSession<S> | null> {
    if (!isTraced('get')) return this.loadSession(sid, shape);
    return traced(operationContext('get', sessionFields(sid)), () => this.loadSession(sid, shape), readOutcome);
  }

  private async loadSession(sid: string, shape: LoadShape): Promise<LoadedFrameworkSession<S> | null> {
    return this.loaded(sid, await this.core.load(sid), shape);
  }

  /** What `load` returns for what the core store read. */
  private loaded(sid: string, loaded: LoadedSession<S> | null, shape: LoadShape): LoadedFrameworkSession<S> | null {
    if (!loaded) {
      this.latest.delete(sid);
      return null;
    }
    const { record } = loaded;
    const session = record.data;
    const noCookie = shape.noCookie === true;
    const problem = sessionShapeProblem(session, noCookie ? 'none' : shape.cookieOptional === true);
    if (problem) {
      this.latest.delete(sid);
      this.core.emit('corrupt', new CorruptSessionError(problem), { idHash: hashId(sid) });
      return null;
    }
    const cookie = noCookie ? undefined : session.cookie;
    if (cookie?.expires) {
      if (this.cookieFollowsTtl && !record.legacy) {
        // Our touch moves only the record's expiry; the cookie in the data follows it here, told
        // on this server's clock: the frameworks compare it with Date.now() (@fastify/session
        // regenerates a session whose cookie expired), and a skewed clock must not end a session
        // Redis holds as live.
        cookie.expires = new Date(record.expiresAt - this.core.clockOffset).toISOString();
      } else if (Date.parse(String(cookie.expires)) <= Date.now()) {
        // Sessions written by connect-redis (or with a custom ttl) carry only the cookie's idea
        // of expiry, which an app server's clock set.
        return null;
      }
    }
    const state: Loaded = {
      sid,
      at: Date.now(),
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      absoluteExpiresAt: record.absoluteExpiresAt,
      userId: record.userId,
      cookie: cookie && typeof cookie === 'object' ? { ...cookie } : undefined,
      version: record.version,
      text: loaded.text,
    };
    if (record.legacy) state.legacy = true;
    if (loaded.staleMeta) state.staleMeta = record.meta;
    if (noCookie) state.noCookie = true;
    else if (shape.compare) state.fingerprint = this.withoutCookie(session);
    const ticket = new Ticket(state);
    this.remember(sid, ticket);
    // A caller that saves the very object it loaded needs no ticket of its own.
    carryTicket(session, ticket);
    return { session, ticket };
  }

  /**
   * Saves the session. When the caller knows the data is unchanged since its load (@fastify/session's
   * `isModified()`), the save costs what a touch costs: usually nothing, see `touchAfter`.
   */
  set(sid: string, session: S, hints: SaveHints = {}): Promise<void> {
    if (!isTraced('set')) return this.save(sid, session, hints);
    return traced(operationContext('set', sessionFields(sid, this.ownerForTrace(session))), (trace) => this.save(sid, session, hints, trace), doneOutcome);
  }

  /** `trace`: the traced operation (a set, or a touch that rewrites), told the outcome, retries and conflicts. */
  private async save(sid: string, session: S, hints: SaveHints, trace?: OperationContext): Promise<void> {
    const own = this.ownTicket(sid, session, hints.ticket);
    const loaded = this.loadedFor(sid, own);
    const ttl = hints.ttl ?? this.ttlOf(session);
    // What the write starts from: this request's load, or (for a save that must not create) the
    // session as found now, which it replaces.
    let base: { createdAt: number; userId?: string } | undefined = loaded;
    if (hints.existing && !(loaded && Date.now() - loaded.at < this.tombstoneCover)) {
      // A revocation between this look and the write leaves a fresh tombstone, which refuses it.
      const current = await this.core.load(sid);
      if (!current) return note(trace, 'absent');
      base ??= current.record;
    } else if (hints.unchanged && loaded && this.canSlide(session, loaded, ttl, this.userIdOf(session))) {
      if (hints.unchanged === true || this.sameAsLoaded(session, loaded)) {
        await this.slide(sid, loaded, ttl, own !== undefined);
        return note(trace, 'unchanged');
      }
    }
    // With merging, the first try carries the version it loaded: when no other save landed since,
    // that is the only round trip, and the changes are never even computed.
    let data = session;
    let version = this.mergeSaves && loaded ? loaded.version : undefined;
    let previousUserId: string | null | undefined = base ? (base.userId ?? null) : undefined;
    let changes: Changes | undefined;
    // The stored meta, when it must move to the current encryption key and the app gives none of
    // its own; after a conflict, the meta of the record that won (never the load's older one).
    let staleMeta = loaded?.staleMeta;
    for (let attempt = 1; ; attempt++) {
      const appMeta = this.findMeta?.(data);
      const meta = appMeta === undefined ? staleMeta : appMeta;
      // One object with every field (undefined where absent: the core store reads undefined as
      // omitted), where conditional spreads would build a throwaway object for each on every save.
      const result = await this.core.set(sid, data, {
        ttl,
        userId: this.userIdOf(data) ?? null,
        meta,
        // If the record expires before this write lands, the absolute timeout still holds.
        createdAt: base?.createdAt,
        ifVersion: version,
        previousUserId,
      });
      if (result.reason !== 'conflict') {
        // A second save of the same request merges against this one, not against its load. (Not
        // a load that stood in for a missing ticket: other requests may share it.)
        if (own && loaded && result.stored) this.saved(loaded, data, result);
        return note(trace, result.stored ? (attempt > 1 ? 'merged' : 'stored') : (result.reason ?? 'not-stored'));
      }
      if (trace) {
        trace.conflicts++;
        trace.retries++;
      }
      if (attempt >= MERGE_ATTEMPTS) {
        throw new SessionKitError('ERR_CONFLICT', `session save gave up after ${attempt} conflicting saves of the same session`);
      }
      // Another save landed: apply this request's own changes on top of what it stored.
      changes ??= changesSince(loaded!.text, this.core.options.serializer, session);
      const current = result.current;
      data = applyChanges<S>(current?.record.data, changes);
      // Unreadable now (reported as 'corrupt'): nothing to merge with, so write over it.
      version = current ? current.record.version : undefined;
      previousUserId = current ? (current.record.userId ?? null) : undefined;
      staleMeta = current?.staleMeta ? current.record.meta : undefined;
    }
  }

  /**
   * An unchanged save may only move the record's expiry when nothing else would change: same
   * owner, same cookie settings, and a stored cookie expiry that `get` rewrites from the record
   * (with a custom `ttl` function or `disableTTL` the data's own cookie expiry must be rewritten).
   */
  private canSlide(session: S, loaded: Loaded, ttl: number, userId: string | undefined): boolean {
    // A legacy record is rewritten once; from then on `get` takes the expiry from the record.
    if (ttl <= 0 || this.disableTouch || loaded.legacy || loaded.userId !== userId) return false;
    if (loaded.noCookie) return true;
    if (!this.cookieFollowsTtl && session?.cookie?.expires) return false;
    return cookieSettings({ cookie: loaded.cookie }) === cookieSettings(session);
  }

  /** For `unchanged: 'compare'`: the data serializes as it did when loaded, its cookie (the expiry a rolling save moves) left out. */
  private sameAsLoaded(session: S, loaded: Loaded): boolean {
    if (loaded.noCookie) return this.core.options.serializer.stringify(session) === loaded.text;
    return loaded.fingerprint !== undefined && this.withoutCookie(session) === loaded.fingerprint;
  }

  private withoutCookie(session: S): string {
    return this.core.options.serializer.stringify({ ...session, cookie: undefined });
  }

  /** The ticket's state after a write of its request: what a second save compares and merges with. */
  private saved(loaded: Loaded, data: S, result: SetResult<S>): void {
    loaded.at = Date.now();
    if (result.version !== undefined) loaded.version = result.version;
    if (result.expiresAt !== undefined) loaded.expiresAt = result.expiresAt;
    if (result.createdAt !== undefined) loaded.createdAt = result.createdAt;
    if (result.text !== undefined) loaded.text = result.text;
    // Written under the current key: nothing left to move.
    delete loaded.staleMeta;
    const userId = this.userIdOf(data);
    if (userId === undefined) delete loaded.userId;
    else loaded.userId = userId;
  }

  /** Slides the expiry, unless it was refreshed less than `touchAfter` ago. */
  touch(sid: string, session: S, hints: Pick<SaveHints, 'ticket'> = {}): Promise<void> {
    if (!isTraced('touch')) return this.refresh(sid, session, hints);
    return traced(operationContext('touch', sessionFields(sid, this.ownerForTrace(session))), (trace) => this.refresh(sid, session, hints, trace), doneOutcome);
  }

  private async refresh(sid: string, session: S, hints: Pick<SaveHints, 'ticket'>, trace?: OperationContext): Promise<void> {
    const loaded = this.loadedFor(sid, this.ownTicket(sid, session, hints.ticket));
    if (this.disableTouch || this.disableTTL) return note(trace, 'skipped');
    // With a custom ttl the cookie expiry lives only in the data, so a touch must rewrite it.
    if (!this.cookieFollowsTtl) return this.save(sid, session, hints, trace);
    // The data names an owner the record does not have: a session written by connect-redis (or
    // before `userId` was configured). Rewrite it once, so that it joins the owner's index and
    // logout-everywhere can reach it.
    // Its stored cookie expiry would not move either (see `get`).
    if (loaded && (loaded.legacy || loaded.userId !== this.userIdOf(session))) return this.save(sid, session, hints, trace);
    note(trace, await this.slide(sid, loaded, this.ttlOf(session)));
  }

  /** The owner a traced save or touch reports: never a reason to fail (the save itself reports a bad one). */
  private ownerForTrace(session: S): string | undefined {
    try {
      return this.userIdOf(session);
    } catch {
      return undefined;
    }
  }

  /** True when the record's expiry is the cookie's expiry (connect-redis's default TTL rule). */
  private get cookieFollowsTtl(): boolean {
    return typeof this.ttl !== 'function' && !this.disableTTL;
  }

  /** `own`: the load is the request's own ticket, which then follows the new expiry. */
  private async slide(sid: string, loaded: Loaded | undefined, ttl: number, own = false): Promise<'skipped' | 'touched' | 'absent'> {
    // Capped by the absolute timeout, the expiry cannot move: no need to ask Redis every time.
    // Redis's clock, as the stored expiry's: a skewed server clock would otherwise touch on
    // every request (running ahead) or too late to keep an active session alive (running behind).
    // Moved forward by less than touchAfter, or back (a shorter cookie) by less than a second: not
    // worth a write.
    const target = Math.min(this.core.redisTime() + ttl, loaded?.absoluteExpiresAt ?? Infinity);
    const moved = loaded ? target - loaded.expiresAt : Infinity;
    if (moved > -SHORTEN_TOLERANCE_MS && moved < this.touchAfterFor(ttl)) return 'skipped';
    const expiresAt = await this.core.touch(sid, { ttl, ...(loaded ? { userId: loaded.userId ?? null } : {}) });
    if (own && loaded && expiresAt !== null) loaded.expiresAt = expiresAt;
    return expiresAt === null ? 'absent' : 'touched';
  }

  /** A load this recent is still covered by the tombstone of any revocation that followed it. */
  private get tombstoneCover(): number {
    return Math.min(LOADED_MAX_AGE_MS, this.core.options.revokedTtl / 2);
  }

  /** Destroys the session; the owner it was loaded with (if lately) saves the script a round trip. */
  async destroy(sid: string, hints: Pick<SaveHints, 'ticket'> = {}): Promise<void> {
    const loaded = this.loadedFor(sid, this.ownTicket(sid, undefined, hints.ticket));
    this.latest.delete(sid);
    await this.core.destroy(sid, loaded ? { userId: loaded.userId ?? null } : {});
  }

  /** As connect-redis: an array of sessions, each with its `id`. */
  async all(): Promise<(S & { id: string })[]> {
    const records = await this.core.all();
    return records.filter((r) => r.data && typeof r.data === 'object').map((r) => Object.assign(r.data as S, { id: r.id }));
  }

  ids(): Promise<string[]> {
    return this.core.ids();
  }

  length(): Promise<number> {
    return this.core.length();
  }

  async clear(): Promise<void> {
    this.latest.clear();
    await this.core.clear();
  }

  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number> {
    return this.core.invalidateAllUserSessions(userId, options);
  }

  listUserSessions(userId: string | number): Promise<SessionInfo[]> {
    return this.core.listUserSessions(userId);
  }

  countUserSessions(userId: string | number): Promise<number> {
    return this.core.countUserSessions(userId);
  }

  /** What listUserSessions returns as `id` for session id `sid` (see SessionStore.sessionHandle). */
  sessionHandle(sid: string): string {
    return this.core.sessionHandle(sid);
  }

  /** Revokes `sid` only if it belongs to `userId`. */
  revokeUserSession(userId: string | number, sid: string): Promise<boolean> {
    return this.core.revokeUserSession(userId, sid);
  }

  /** TTL in ms: from the cookie when it has an expiry, else the `ttl` option; as connect-redis. */
  ttlOf(session: S): number {
    if (this.disableTTL) return HUNDRED_YEARS_MS;
    if (typeof this.ttl === 'function') return this.ttl(session) * 1000;
    const expires = session?.cookie?.expires;
    // An unusable expiry (an invalid Date) is no expiry: the ttl option applies, and the
    // framework reports the bad cookie itself (express-session does, as for MemoryStore).
    const at = expires ? new Date(expires).getTime() : NaN;
    if (Number.isFinite(at)) return at - Date.now();
    return this.ttl * 1000;
  }

  private touchAfterFor(ttl: number): number {
    return this.touchAfter ?? Math.min(60_000, ttl / 10);
  }

  /** The session's owner as the `userId` option finds it, as a string; undefined when anonymous. */
  userIdOf(session: S): string | undefined {
    return checkedOwner(this.findUserId(session));
  }

  /**
   * The ticket of this request: the one the adapter passed, or the one of the very object `load`
   * returned. One of another session (its id changed since the load, as after koa-session's
   * `regenerate()`) stands for none.
   */
  private ownTicket(sid: string, session: S | undefined, given: Ticket | undefined): Ticket | undefined {
    const ticket = given ?? carriedTicket(session);
    const state = ticket && stateOf(ticket);
    return state && state.sid !== sid ? undefined : ticket;
  }

  private remember(sid: string, ticket: Ticket): void {
    this.latest.delete(sid); // to the end: the oldest go first
    if (this.latest.size >= LATEST_LIMIT) this.latest.delete(this.latest.keys().next().value as string);
    this.latest.set(sid, ticket);
  }

  /**
   * What the request loaded: its ticket's state, or, without a ticket, the latest load of the id
   * (a save of a session object the framework built itself, or an adapter that has no place to
   * carry a ticket). A load older than 30 s counts as none: saved without merging.
   */
  private loadedFor(sid: string, ticket: Ticket | undefined): Loaded | undefined {
    const chosen = ticket ?? this.latest.get(sid);
    const loaded = chosen && stateOf(chosen);
    return loaded && Date.now() - loaded.at < LOADED_MAX_AGE_MS ? loaded : undefined;
  }
}

/** Tells a traced operation how it ended (nothing when untraced). */
function note(trace: OperationContext | undefined, outcome: string): void {
  if (trace) settleOutcome(trace, outcome);
}

/** An operation that told its outcome itself (`note`); 'done' if it did not. */
function doneOutcome(_result: unknown, ctx: OperationContext): void {
  settleOutcome(ctx, 'done');
}

/** Every layer but the core store's: what FrameworkStore resolves when it is given a store. */
function adapterLayers(adapterOptions: readonly OptionSpec[]): OptionLayer[] {
  return ['framework', ...adapterOptions.map((entry) => entry.layer)];
}

/** The framework schema with the adapter's entries: in place of shared ones of the same name, else after them. */
function withAdapterOptions(adapterOptions: readonly OptionSpec[]): OptionSpec[] {
  const own = new Map(adapterOptions.map((entry) => [entry.name, entry]));
  const shared = frameworkSchema.map((entry) => own.get(entry.name) ?? entry);
  return [...shared, ...adapterOptions.filter((entry) => !frameworkSchema.some((shared) => shared.name === entry.name))];
}
