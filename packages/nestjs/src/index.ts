export { SessionKitModule, SESSIONKIT_OPTIONS, type SessionKitModuleAsyncOptions } from './module.js';
export { SessionKitService, type ListedSession } from './service.js';
export type { SessionKitModuleOptions, SessionKitCookieOptions, SessionKitStoreOptions } from './options.js';
export type { SessionKitStore, SessionRequest } from './wire.js';
// What the docs use, so that an app imports from this package only (as from each adapter).
export {
  SessionKitError,
  CorruptSessionError,
  SessionLimitError,
  RedisOperationError,
  hashId,
  type SessionInfo,
  type InvalidateOptions,
} from '@sessionkit/core';
