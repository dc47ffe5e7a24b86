export { SessionStore } from './store.js';
export type { SetOptions, SetResult, LoadedSession, InvalidateOptions, SessionStoreEvents } from './store.js';
export type { SessionStoreOptions, SessionLimitPolicy } from './options.js';
export type { SessionRecord, SessionInfo, StoredValueInfo } from './records.js';
export { inspectStoredValue } from './records.js';
export { safeJsonSerializer, type Serializer } from './serializer.js';
export { SessionKitError, CorruptSessionError, SessionLimitError, RedisOperationError, rethrowWithStatus, type SessionKitErrorCode } from './errors.js';
export { encodeUserId, decodeUserId, hashId, escapeGlob } from './keys.js';
export { keySlot } from './slot.js';
export { toStoreClient, type RedisClient, type StoreClient, type RedisNode, type CommandArgs } from './client/index.js';
export {
  FrameworkStore,
  Ticket,
  carryTicket,
  carriedTicket,
  type FrameworkStoreOptions,
  type CookieSession,
  type LoadedFrameworkSession,
  type LoadShape,
  type SaveHints,
} from './framework-store.js';
export { defaultOwner, ownerAt, checkedOwner, type OwnerId } from './owner.js';
export { changesSince, applyChanges, type Changes } from './merge.js';
export { settle } from './callbacks.js';
export { optionSchema, type OptionSpec, type OptionLayer } from './option-schema.js';
