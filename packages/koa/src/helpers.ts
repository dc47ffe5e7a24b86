import type {} from 'koa';
import type { SessionInfo } from '@sessionkit/core';
import type { KoaSessionData, RedisStore } from './store.js';

/** A session of the signed-in user, as `ctx.listSessions()` returns it. */
export interface ListedSession extends SessionInfo {
  /** True for the session of the request that asked. */
  current: boolean;
}

export interface LogoutEverywhereOptions {
  /** Keep the current session ("sign out everywhere else"). Default false: this one goes too. */
  keepCurrent?: boolean;
}

declare module 'koa' {
  interface BaseContext {
    /** The signed-in user's live sessions, most recent first, the current one flagged. Empty when anonymous. */
    listSessions(): Promise<ListedSession[]>;
    /** Revokes one of the signed-in user's sessions (never another user's). True if it was live. */
    revokeSession(sid: string): Promise<boolean>;
    /** Revokes all the signed-in user's sessions (or all but this one). Returns how many. */
    logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
  }
}

export interface SessionHelpersOptions {
  /** The store given to koa-session. */
  store: RedisStore<KoaSessionData>;
}

/** What these helpers read of koa-session's `ctx.session` (a Session, or null once cleared). */
interface KoaSession {
  /** The session's id in the store: koa-session's "external key", the value of its cookie. */
  readonly externalKey?: string;
  [key: string]: unknown;
}

interface HelperContext {
  session?: KoaSession | null;
}

/**
 * The store key (session id) of this request's session, or undefined without one. It is
 * koa-session's "external key", the value of its cookie; `ctx.session.externalKey` says the same
 * except after `ctx.session.regenerate()` in this request, where it still names the old id, so
 * the key is read from koa-session's per-request state when it can be found.
 */
export function currentSessionId(ctx: object): string | undefined {
  const context = ctx as HelperContext & Record<symbol, { externalKey?: unknown } | undefined>;
  // koa-session's per-request state, under a symbol it does not export: found by its description.
  const symbol = Object.getOwnPropertySymbols(ctx).find((s) => s.description === 'contextSession instance');
  const state = symbol ? context[symbol] : undefined;
  if (state && typeof state === 'object' && 'externalKey' in state) {
    if (context.session === null) return undefined;
    return typeof state.externalKey === 'string' ? state.externalKey : undefined;
  }
  const key = context.session?.externalKey;
  return typeof key === 'string' ? key : undefined;
}

/**
 * Optional: adds `ctx.listSessions()`, `ctx.revokeSession(id)` and `ctx.logoutEverywhere()` to
 * every context of `app`, over the store's per-user API, for the signed-in user (found with the
 * store's `userId` option). Like koa-session itself, it extends `app.context` once: nothing runs
 * per request until a helper is called.
 */
export function sessionHelpers(app: { context: object }, options: SessionHelpersOptions): void {
  const store = options?.store;
  if (!app || typeof app.context !== 'object' || !store || typeof store.listUserSessions !== 'function') {
    throw new TypeError('sessionHelpers(app, { store }) needs the Koa app and the @sessionkit/koa RedisStore given to koa-session');
  }

  /** The owner and id of this request's session; no owner when anonymous or without a session. */
  const current = (ctx: HelperContext & object): { userId?: string; sid?: string } => {
    const session = ctx.session;
    if (!session || typeof session !== 'object') return {};
    return { userId: store.userIdOf(session), sid: currentSessionId(ctx) };
  };

  const helpers = {
    async listSessions(this: HelperContext): Promise<ListedSession[]> {
      const { userId, sid } = current(this);
      if (userId === undefined) return [];
      const sessions = await store.listUserSessions(userId);
      return sessions.map((session) => ({ ...session, current: session.id === sid }));
    },

    async revokeSession(this: HelperContext, id: string): Promise<boolean> {
      const { userId, sid } = current(this);
      if (userId === undefined || typeof id !== 'string' || id === '') return false;
      const revoked = await store.revokeUserSession(userId, id);
      // Drop this request's copy too, or koa-session would save it again when the response goes.
      if (id === sid) this.session = null;
      return revoked;
    },

    async logoutEverywhere(this: HelperContext, opts: LogoutEverywhereOptions = {}): Promise<number> {
      const { userId, sid } = current(this);
      if (userId === undefined) return 0;
      const keep = opts.keepCurrent && sid ? { except: sid } : {};
      const count = await store.invalidateAllUserSessions(userId, keep);
      // Setting it to null makes koa-session clear the cookie (and delete the id, already gone).
      if (!opts.keepCurrent) this.session = null;
      return count;
    },
  };

  for (const [name, value] of Object.entries(helpers)) {
    Object.defineProperty(app.context, name, { value, writable: true, configurable: true, enumerable: false });
  }
}
