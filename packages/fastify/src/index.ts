export { RedisStore, type RedisStoreOptions, type SessionData } from './store.js';
export { sessionKitPlugin, type SessionKitPluginOptions, type ListedSession, type LogoutEverywhereOptions } from './plugin.js';
// What the docs use, so that an app installs only this package.
export { SessionKitError, CorruptSessionError, SessionLimitError, RedisOperationError, hashId } from '@sessionkit/core';
export type { SessionInfo, SessionRecord, SessionKitErrorCode, InvalidateOptions, SessionLimitPolicy, Serializer } from '@sessionkit/core';
