import type Koa from 'koa';
import type { CreateSessionOptions } from 'koa-session';
import { RedisStore, sessionHelpers, type KoaSessionData, type ListedSession, type RedisStoreOptions } from '@sessionkit/koa';
import { describe, expect, expectTypeOf, it } from 'vitest';

// Compile-time checks (root `tsc -p tsconfig.json` covers this file); the runtime part is trivial.
describe('types', () => {
  it('RedisStore is a koa-session store without casts', () => {
    expectTypeOf<RedisStore>().toExtend<NonNullable<CreateSessionOptions['store']>>();
  });

  it('option callbacks see the session data; ttl is a number of ms', () => {
    const options: RedisStoreOptions<KoaSessionData & { account?: { id: string } }> = {
      ttl: 3_600_000,
      userId: (s) => s.account?.id,
      meta: (s) => ({ maxAge: s._maxAge ?? null }),
    };
    expectTypeOf(options.ttl).toEqualTypeOf<number | undefined>();
    expectTypeOf(options.userId!).parameter(0).toHaveProperty('account');
  });

  it("sessionHelpers adds ctx helpers to Koa's context types", () => {
    expectTypeOf<Awaited<ReturnType<Koa.Context['listSessions']>>>().toEqualTypeOf<ListedSession[]>();
    expectTypeOf<Koa.Context['logoutEverywhere']>().parameter(0).toEqualTypeOf<{ keepCurrent?: boolean } | undefined>();
    expectTypeOf<Koa.Context['revokeSession']>().returns.toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(sessionHelpers).parameter(0).toExtend<{ context: object }>();
  });

  it('refuses a ttl that is not a positive number of ms', () => {
    expect(() => new RedisStore({ client: undefined, ttl: -1 })).toThrow(/milliseconds/);
    expect(() => sessionHelpers({ context: {} }, { store: undefined as never })).toThrow(TypeError);
  });
});
