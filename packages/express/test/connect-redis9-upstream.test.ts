import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { VERSION_KEY } from '@sessionkit/core';
import { RedisStore, safeJsonSerializer } from '@sessionkit/express';
import { useRedis } from './helpers.js';

/**
 * connect-redis 9's own test file, node_modules/connect-redis9/index_test.ts as its npm package
 * ships it, runs here unchanged against @sessionkit/express: a resolver in vitest.workspace.ts
 * swaps only its two local imports, `./` (connect-redis's RedisStore) for
 * connect-redis9-upstream/store.ts (@sessionkit/express with connect-redis's serializer and
 * without save merging, see there why) and `./testdata/server` (not shipped) for
 * connect-redis9-upstream/server.ts. Its four tests are setup, defaults, redis and teardown: the
 * fields an app reads (`store.ttl`, ...) and the whole lifecycle through awaited calls.
 */
// A path in a variable: the type-check must not follow it into connect-redis's sources.
const upstream = fileURLToPath(new URL('../../../node_modules/connect-redis9/index_test.ts', import.meta.url));
await import(/* @vite-ignore */ upstream);

const redis = useRedis();

it('with the default options, the two differences from connect-redis are the ones store.ts sets aside', async () => {
  const store = new RedisStore({ client: redis.client() });
  expect(store.serializer).toBe(safeJsonSerializer); // by design: SessionKit's default parser is the safe one
  await store.set('123', { foo: 'bar', cookie: { originalMaxAge: null } } as never);
  // The version mark merging needs (issue 23). When this fails because it is gone, remove
  // `mergeSaves: false` from connect-redis9-upstream/store.ts.
  expect(await store.get('123')).toEqual({ foo: 'bar', cookie: { originalMaxAge: null }, [VERSION_KEY]: 1 });
  store.close();
});
