import { RedisStore as SessionKitStore, type RedisStoreOptions } from '@sessionkit/express';

/**
 * What connect-redis 9's test file gets for its `import {RedisStore} from "./"`: @sessionkit/express,
 * with one default set to connect-redis's, because the test compares with it exactly:
 * `serializer: JSON`: its "defaults" test checks `store.serializer` is the global `JSON`;
 * SessionKit's default is `safeJsonSerializer` (JSON that drops `__proto__`, `constructor` and
 * `prototype` keys), on purpose. And `hashIds: false`: the test reads Redis itself by the
 * session id (`client.ttl("sess:123")`) and expects `all()` to name sessions by id, which is
 * connect-redis's layout; SessionKit's default keeps only a hash of the id at rest (see
 * docs/security.md). Everything else is the default (save merging included); an option the
 * caller passes wins.
 */
export class RedisStore extends SessionKitStore {
  constructor(options: RedisStoreOptions) {
    super({ serializer: JSON, hashIds: false, ...options });
  }
}
