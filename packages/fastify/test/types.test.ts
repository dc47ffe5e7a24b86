import type { FastifySessionOptions } from '@fastify/session';
import type { FastifyRequest } from 'fastify';
import type { RedisStore, ListedSession, RedisStoreOptions } from '@sessionkit/fastify';
import { describe, expectTypeOf, it } from 'vitest';

// Compile-time checks (root `tsc -p tsconfig.json` covers this file); the runtime part is trivial.
describe('types', () => {
  it('RedisStore is a @fastify/session store without casts', () => {
    expectTypeOf<RedisStore>().toExtend<NonNullable<FastifySessionOptions['store']>>();
  });

  it("option callbacks see fastify's Session, with the fields the app declared", () => {
    const options: RedisStoreOptions = {
      ttl: (s) => (s.userId ? 3600 : 600),
      userId: (s) => s.userId,
      meta: (s) => ({ views: s.views ?? 0 }),
    };
    expectTypeOf(options.userId!).parameter(0).toHaveProperty('cookie');
  });

  it('get/set/destroy are callback-style, and return promises without a callback', () => {
    expectTypeOf<RedisStore['get']>().toBeCallableWith('sid', (_error: Error | null, _session?: unknown) => {});
    expectTypeOf<RedisStore['destroy']>().toBeCallableWith('sid', () => {});
    expectTypeOf<ReturnType<RedisStore['destroy']>>().toEqualTypeOf<Promise<void>>();
  });

  it('the plugin adds request helpers', () => {
    expectTypeOf<Awaited<ReturnType<FastifyRequest['listSessions']>>>().toEqualTypeOf<ListedSession[]>();
    expectTypeOf<FastifyRequest['logoutEverywhere']>().parameter(0).toEqualTypeOf<{ keepCurrent?: boolean } | undefined>();
  });
});
