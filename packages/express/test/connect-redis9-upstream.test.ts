import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { RedisStore, safeJsonSerializer } from '@sessionkit/express';
import { useRedis } from './helpers.js';

/**
 * connect-redis 9's own test file, node_modules/connect-redis9/index_test.ts as its npm package
 * ships it, runs here unchanged against @sessionkit/express: a resolver in vitest.workspace.ts
 * swaps only its two local imports, `./` (connect-redis's RedisStore) for
 * connect-redis9-upstream/store.ts (@sessionkit/express with connect-redis's serializer and key layout, see
 * there why) and `./testdata/server` (not shipped) for
 * connect-redis9-upstream/server.ts. Its four tests are setup, defaults, redis and teardown: the
 * fields an app reads (`store.ttl`, ...) and the whole lifecycle through awaited calls.
 */
// A path in a variable: the type-check must not follow it into connect-redis's sources.
const upstream = fileURLToPath(new URL('../../../node_modules/connect-redis9/index_test.ts', import.meta.url));
await import(/* @vite-ignore */ upstream);

const redis = useRedis();

it('with the default options, which differ from connect-redis in the serializer and key layout store.ts sets aside', async () => {
  const store = new RedisStore({ client: redis.client() });
  expect(store.serializer).toBe(safeJsonSerializer); // by design: SessionKit's default parser is the safe one
  await store.set('123', { foo: 'bar', cookie: { originalMaxAge: null } } as never);
  // What `get` returns is what was set, with merging on: what a save merges against travels
  // in a ticket beside the session, never as a key of it (issue 23).
  const loaded = await store.get('123');
  expect(loaded).toEqual({ foo: 'bar', cookie: { originalMaxAge: null } });
  expect(Object.keys(loaded!)).toEqual(['foo', 'cookie']);
  store.close();
});
