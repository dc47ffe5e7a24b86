import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import type {} from '@fastify/session';
import { requestHelpers, type CookieSession, type RequestHelpers } from '@sessionkit/core/toolkit';
import type { RedisStore } from './store.js';

export type { ListedSession, LogoutEverywhereOptions } from '@sessionkit/core/toolkit';

declare module 'fastify' {
  /** `request.listSessions()`, `request.revokeSession(id)` and `request.logoutEverywhere()`: see RequestHelpers in @sessionkit/core/toolkit. */
  interface FastifyRequest extends RequestHelpers<object> {}
}

export interface SessionKitPluginOptions {
  /** The store given to @fastify/session. */
  // biome-ignore lint/suspicious/noExplicitAny: a store of any session shape
  store: RedisStore<any>;
  /** Log unreadable stored sessions (treated as absent) through `fastify.log.warn`. Default true. */
  logCorrupt?: boolean;
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

  const helpers = requestHelpers<FastifyRequest>(store, {
    current: (request) => {
      const session = request.session as unknown as (CookieSession & { sessionId: string }) | null | undefined;
      return session?.cookie ? { userId: store.userIdOf(session), sid: session.sessionId } : {};
    },
    // Drop this request's copy too, or @fastify/session would try to save it when replying.
    drop: (request) => request.session.destroy(),
  });
  for (const [name, helper] of Object.entries(helpers)) fastify.decorateRequest(name, helper);

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
