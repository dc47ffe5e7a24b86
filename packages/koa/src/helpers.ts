import type {} from 'koa';
import { requestHelpers, type RequestHelpers } from '@sessionkit/core/toolkit';
import type { KoaSessionData, RedisStore } from './store.js';

export type { ListedSession, LogoutEverywhereOptions } from '@sessionkit/core/toolkit';

declare module 'koa' {
  /** `ctx.listSessions()`, `ctx.revokeSession(id)` and `ctx.logoutEverywhere()`: see RequestHelpers in @sessionkit/core/toolkit. */
  interface BaseContext extends RequestHelpers<object> {}
}

export interface SessionHelpersOptions {
  /** The store given to koa-session. */
  store: RedisStore<KoaSessionData>;
}

/** What these helpers read of koa-session's `ctx.session` (a Session, or null once cleared; `externalKey`: its id in the store, the value of its cookie). */
interface HelperContext {
  session?: { readonly externalKey?: string; [key: string]: unknown } | null;
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

  const helpers = requestHelpers<HelperContext>(store, {
    current: (ctx) => {
      const session = ctx.session;
      return session && typeof session === 'object' ? { userId: store.userIdOf(session), sid: currentSessionId(ctx) } : {};
    },
    // Setting it to null makes koa-session clear the cookie (and not save the session again when the response goes).
    drop: (ctx) => {
      ctx.session = null;
    },
  });

  for (const [name, value] of Object.entries(helpers)) Object.defineProperty(app.context, name, { value, writable: true, configurable: true });
}
