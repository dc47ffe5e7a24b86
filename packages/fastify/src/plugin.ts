import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import type {} from '@fastify/session';
import type { SessionInfo } from '@sessionkit/core';
import type { CookieSession } from '@sessionkit/core/toolkit';
import type { RedisStore } from './store.js';

/** A session of the signed-in user, as `request.listSessions()` returns it. */
export interface ListedSession extends SessionInfo {
  /** True for the session of the request that asked. */
  current: boolean;
}

export interface LogoutEverywhereOptions {
  /** Keep the current session ("sign out everywhere else"). Default false: this one goes too. */
  keepCurrent?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in user's live sessions, most recent first, the current one flagged. Empty when anonymous. */
    listSessions(): Promise<ListedSession[]>;
    /** Revokes one of the signed-in user's sessions (never another user's). True if it was live. */
    revokeSession(sid: string): Promise<boolean>;
    /** Revokes all the signed-in user's sessions (or all but this one). Returns how many. */
    logoutEverywhere(options?: LogoutEverywhereOptions): Promise<number>;
  }
}

export interface SessionKitPluginOptions {
  /** The store given to @fastify/session. */
  // biome-ignore lint/suspicious/noExplicitAny: a store of any session shape
  store: RedisStore<any>;
  /** Log unreadable stored sessions (treated as absent) through `fastify.log.warn`. Default true. */
  logCorrupt?: boolean;
}

// biome-ignore lint/suspicious/noExplicitAny: a store of any session shape
function userOf(store: RedisStore<any>, request: FastifyRequest): string | undefined {
  const session = request.session as unknown as CookieSession | null | undefined;
  return session?.cookie ? store.userIdOf(session) : undefined;
}

/**
 * Optional: request helpers over the store's per-user API, for the signed-in user (found with
 * the store's `userId` option). Register after @fastify/session.
 */
const plugin: FastifyPluginCallback<SessionKitPluginOptions> = (fastify: FastifyInstance, options, done) => {
  const { store } = options;
  if (!store || typeof store.listUserSessions !== 'function') {
    done(new Error('sessionKitPlugin needs { store }: the @sessionkit/fastify RedisStore given to @fastify/session'));
    return;
  }

  if (options.logCorrupt !== false) {
    const onCorrupt = (error: Error, info: { idHash: string }) => {
      fastify.log.warn({ err: error, session: info.idHash }, 'SessionKit: unreadable session in Redis, treated as no session');
    };
    store.core.on('corrupt', onCorrupt);
    fastify.addHook('onClose', (_instance, next) => {
      store.core.off('corrupt', onCorrupt);
      next();
    });
  }

  // Right after @fastify/session's own hook loaded the session, whichever hook that is: the
  // ticket the store parked in the session (see the store's `claim`) moves into the store.
  fastify.addHook('preHandler', (request, _reply, next) => {
    store.claim(request.session);
    next();
  });

  fastify.decorateRequest('listSessions', async function listSessions(this: FastifyRequest): Promise<ListedSession[]> {
    const userId = userOf(store, this);
    if (userId === undefined) return [];
    const current = this.session.sessionId;
    const sessions = await store.listUserSessions(userId);
    return sessions.map((session) => ({ ...session, current: session.id === current }));
  });

  fastify.decorateRequest('revokeSession', async function revokeSession(this: FastifyRequest, sid: string): Promise<boolean> {
    const userId = userOf(store, this);
    if (userId === undefined || typeof sid !== 'string' || sid === '') return false;
    const revoked = await store.revokeUserSession(userId, sid);
    if (sid === this.session.sessionId) await this.session.destroy();
    return revoked;
  });

  fastify.decorateRequest('logoutEverywhere', async function logoutEverywhere(this: FastifyRequest, opts: LogoutEverywhereOptions = {}): Promise<number> {
    const userId = userOf(store, this);
    if (userId === undefined) return 0;
    const current = this.session.sessionId;
    const count = await store.invalidateAllUserSessions(userId, opts.keepCurrent ? { except: current } : {});
    // Drop this request's copy too, or @fastify/session would try to save it when replying.
    if (!opts.keepCurrent) await this.session.destroy();
    return count;
  });

  done();
};

// What fastify-plugin does, without the dependency: the decorators reach the parent scope.
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('fastify.display-name')] = '@sessionkit/fastify';
(plugin as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')] = {
  name: '@sessionkit/fastify',
  fastify: '5.x',
  dependencies: ['@fastify/session'],
};

export const sessionKitPlugin = plugin;
