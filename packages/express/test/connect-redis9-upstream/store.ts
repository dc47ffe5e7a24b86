import { RedisStore as SessionKitStore, type RedisStoreOptions } from '@sessionkit/express';

/**
 * What connect-redis 9's test file gets for its `import {RedisStore} from "./"`: @sessionkit/express,
 * with two defaults set to connect-redis's, because the test compares with them exactly:
 * - `serializer: JSON`: its "defaults" test checks `store.serializer` is the global `JSON`;
 *   SessionKit's default is `safeJsonSerializer` (JSON that drops `__proto__`, `constructor` and
 *   `prototype` keys), on purpose;
 * - `mergeSaves: false`: its "redis" test deep-compares what `get` returns with what was set;
 *   with merging on, that object also carries `__sessionkitVersion` (VERSION_KEY), the version
 *   mark that merging saves need (issue 23 is to remove it from what `get` returns). When it is
 *   gone, drop this option: the default-options test in connect-redis9-upstream.test.ts says so.
 * Everything else is the default; an option the caller passes wins.
 */
export class RedisStore extends SessionKitStore {
  constructor(options: RedisStoreOptions) {
    super({ serializer: JSON, mergeSaves: false, ...options });
  }
}
