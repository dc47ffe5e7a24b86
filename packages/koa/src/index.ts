export { RedisStore, type RedisStoreOptions, type KoaSessionData, type KoaStoreCallOptions } from './store.js';
export { sessionHelpers, currentSessionId, type SessionHelpersOptions, type ListedSession, type LogoutEverywhereOptions } from './helpers.js';
export {
  SessionKitError,
  CorruptSessionError,
  SessionLimitError,
  RedisOperationError,
  hashId,
  type SessionInfo,
  type InvalidateOptions,
  type SessionLimitPolicy,
  type Serializer,
} from '@sessionkit/core';
