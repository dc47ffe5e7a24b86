export { RedisStore, type RedisStoreOptions, type KoaSessionData, type KoaStoreCallOptions } from './store.js';
export { sessionHelpers, currentSessionId, type SessionHelpersOptions, type ListedSession, type LogoutEverywhereOptions } from './helpers.js';
// What the docs use, so that an app installs only this package.
export { SessionKitError, CorruptSessionError, SessionLimitError, RedisOperationError, hashId } from '@sessionkit/core';
export type { SessionInfo, InvalidateOptions, SessionLimitPolicy, Serializer } from '@sessionkit/core';
