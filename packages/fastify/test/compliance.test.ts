import { RedisStore } from '@sessionkit/fastify';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();

/** The callback API that @fastify/session calls, promisified for the shared suite. */
function promisify<T>(call: (cb: (error?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

runStoreCompliance('@sessionkit/fastify RedisStore (callback API)', async () => {
  const store = new RedisStore<TestSession>({ client: redis.client(), touchAfter: 0 });
  return {
    store: {
      get: (id) => promisify<TestSession | null>((cb) => store.get(id, cb)),
      set: (id, s) => promisify<void>((cb) => store.set(id, s, cb)),
      destroy: (id) => promisify<void>((cb) => store.destroy(id, cb)),
      touch: (id, s) => promisify<void>((cb) => store.touch(id, s, cb)),
      ids: () => store.ids(),
      all: () => store.all(),
      length: () => store.length(),
      clear: () => store.clear(),
    },
    teardown: async () => {},
  };
});
