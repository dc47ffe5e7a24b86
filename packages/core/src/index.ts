// The app API. What adapters and tools build on (FrameworkStore, tickets, the option schema, the
// client seam, ...) is the toolkit: `@sessionkit/core/toolkit` (src/toolkit.ts).
export { SessionStore } from './store.js';
export type { SetOptions, SetResult, LoadedSession, InvalidateOptions, SessionStoreEvents } from './store.js';
export type { SessionStoreOptions, SessionLimitPolicy } from './options.js';
export type { SessionRecord, SessionInfo, StoredValueInfo } from './records.js';
export { inspectStoredValue } from './records.js';
export { KeyRing, sealedKeyId, type EncryptionKey } from './encryption.js';
export { safeJsonSerializer, type Serializer } from './serializer.js';
export { SessionKitError, CorruptSessionError, SessionLimitError, RedisOperationError, type SessionKitErrorCode } from './errors.js';
export { encodeUserId, decodeUserId, hashId, escapeGlob, sessionHandle, isHandle } from './keys.js';
export type { RedisClient } from './client/index.js';
export type { OperationContext, TracedOperation, EventChannelName } from './tracing.js';
export { TRACED_OPERATIONS } from './tracing.js';
