import { RedisStore as SessionKitStore, type RedisStoreOptions } from '@sessionkit/express';

/**
 * What connect-redis 9's test file gets for its `import {RedisStore} from "./"`: @sessionkit/express,
 * with one default set to connect-redis's, because the test compares with it exactly:
 * `serializer: JSON`: its "defaults" test checks `store.serializer` is the global `JSON`;
 * SessionKit's default is `safeJsonSerializer` (JSON that drops `__proto__`, `constructor` and
 * `prototype` keys), on purpose. Everything else is the default (save merging included); an
 * option the caller passes wins.
 */
export class RedisStore extends SessionKitStore {
  constructor(options: RedisStoreOptions) {
    super({ serializer: JSON, ...options });
  }
}
