export { SessionStore } from './store.js';
export type { SetOptions, SetResult, InvalidateOptions, SessionStoreEvents } from './store.js';
export type { SessionStoreOptions, SessionLimitPolicy } from './options.js';
export type { SessionRecord, SessionInfo } from './records.js';
export { safeJsonSerializer, type Serializer } from './serializer.js';
export { SessionKitError, CorruptSessionError, SessionLimitError, RedisOperationError, type SessionKitErrorCode } from './errors.js';
export { encodeUserId, decodeUserId, hashId, escapeGlob } from './keys.js';
export { keySlot } from './slot.js';
export { FrameworkStore, type FrameworkStoreOptions, type CookieSession } from './framework-store.js';
