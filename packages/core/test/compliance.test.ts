import { FrameworkStore } from '@sessionkit/core';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();

runStoreCompliance('core FrameworkStore on a single node', async () => {
  const store = new FrameworkStore<TestSession>({ client: redis.client(), touchAfter: 0 });
  return {
    store: {
      get: (id) => store.get(id),
      set: (id, s) => store.set(id, s),
      destroy: (id) => store.destroy(id),
      touch: (id, s) => store.touch(id, s),
      ids: () => store.ids(),
      all: () => store.all(),
      length: () => store.length(),
      clear: () => store.clear(),
    },
    teardown: async () => {},
  };
});
