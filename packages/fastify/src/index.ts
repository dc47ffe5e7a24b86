export { RedisStore, type RedisStoreOptions, type SessionData } from './store.js';
export { sessionKitPlugin, type SessionKitPluginOptions, type ListedSession, type LogoutEverywhereOptions } from './plugin.js';
export {
  SessionKitError,
  CorruptSessionError,
  SessionLimitError,
  RedisOperationError,
  hashId,
  type SessionInfo,
  type SessionRecord,
  type SessionKitErrorCode,
  type InvalidateOptions,
  type SessionLimitPolicy,
  type Serializer,
} from '@sessionkit/core';
