/**
 * @sessionkit/core/toolkit: what an adapter (express, fastify, koa, react-router, your own) or a
 * tool (the `sessionkit` CLI) builds on, apart from the app API of `@sessionkit/core`. The
 * session lifecycle engine (FrameworkStore and its tickets), the option schema, the owner finder,
 * the merge of concurrent saves, callback settling and the client seam. See docs/architecture.md,
 * "Writing an adapter". Classes are shared with the main entry (one SessionStore, one Ticket).
 */
export {
  FrameworkStore,
  Ticket,
  carryTicket,
  carriedTicket,
  parkTicket,
  claimTicket,
  unparkTicket,
  type FrameworkStoreOptions,
  type CookieSession,
  type LoadedFrameworkSession,
  type LoadShape,
  type SaveHints,
} from './framework-store.js';
export { defaultOwner, ownerAt, checkedOwner, type OwnerId } from './owner.js';
export { changesSince, applyChanges, type Changes } from './merge.js';
export { settle, callbackOrPromise, type CallbackOrPromise, type StoreCallback } from './callbacks.js';
export {
  installUserSessionCalls,
  installEngineFields,
  installAdminCalls,
  installAdapterStore,
  type AdapterStore,
  type AdminCalls,
  type EngineFields,
  userSessionCalls,
  requestHelpers,
  isCurrentSession,
  type UserSessionCalls,
  type RequestHelpers,
  type RequestSessionAccess,
  type ListedSession,
  type LogoutEverywhereOptions,
} from './user-calls.js';
export { optionSchema, type OptionSpec, type OptionLayer } from './option-schema.js';
export { rethrowWithStatus } from './errors.js';
export { keySlot } from './slot.js';
export { newSessionId } from './keys.js';
export { toStoreClient, type StoreClient, type RedisNode, type CommandArgs } from './client/index.js';
// For a tool's own long runs (the CLI's migrate and stats) on the `sessionkit:<operation>` channels.
export { isTraced, traced, operationContext, settleOutcome, type OperationContext, type TracedOperation } from './tracing.js';
