/**
 * What SessionKit reports of its work: one `node:diagnostics_channel` TracingChannel per
 * operation (`sessionkit:<operation>`), and plain channels for the store's events. Nothing here
 * costs anything while nobody subscribes: each public operation checks `isTraced` before it builds
 * a context object, and runs its untraced body directly otherwise (no extra async layer). See
 * docs/observability.md for every channel and field.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { channel, tracingChannel, type Channel, type TracingChannel } from 'node:diagnostics_channel';
import type { RedisNode, StoreClient } from './client/index.js';
import { SessionKitError } from './errors.js';
import { hashId } from './keys.js';

/** The operations traced, each on the TracingChannel `sessionkit:<operation>`. */
export type TracedOperation =
  | 'get'
  | 'set'
  | 'touch'
  | 'destroy'
  | 'listUserSessions'
  | 'revokeUserSession'
  | 'invalidateAllUserSessions'
  // The CLI's long runs (`sessionkit migrate`, `sessionkit stats`).
  | 'migrate'
  | 'stats';

/**
 * The context object every event of one operation carries (start, end, asyncStart, asyncEnd,
 * error). Never a session id (only `idHash`, as the store's events) and never session data:
 * unlike `tracePromise`, SessionKit does not put the operation's result on it.
 */
export interface OperationContext {
  /** Which operation: the `<operation>` of the channel's name. */
  readonly operation: TracedOperation;
  /** `hashId` of the session id (16 hex digits), for operations on one session. */
  idHash?: string;
  /** The session's owner as the caller gave it (or the owner finder found it in a save), as a string. */
  userId?: string;
  /**
   * How it ended, set before asyncStart/asyncEnd (and error). get: hit | miss | corrupt; set:
   * stored | merged | unchanged | revoked | expired | absent | limit | error; touch: touched |
   * skipped | absent | error; destroy and revokeUserSession: revoked | absent | error; the per-user
   * listings and logout-everywhere: done | error. See docs/observability.md.
   */
  outcome?: string;
  /** Redis commands or batches sent for it (a batch, a pipeline, counts once). */
  roundTrips: number;
  /** Attempts after the first: a save's merge retries after conflicting saves. */
  retries: number;
  /** Conflicting saves met (a save that merged after N conflicts has `conflicts: N`). */
  conflicts: number;
  /** Sessions pushed out by maxSessionsPerUser during a save. */
  evicted: number;
  /** Sessions revoked (destroy, revokeUserSession: 0 or 1; invalidateAllUserSessions: the count), or listed (listUserSessions). */
  count?: number;
  /** The error it failed with (as TracingChannel's `error` event). */
  error?: unknown;
  /**
   * Set by a `start` subscriber that wants the operation to run inside its own async context
   * (OpenTelemetry: `context.with(span context, run)`), so that what the operation does (the
   * Redis client's own spans) is the child of the subscriber's span. Called once, right after
   * `start`; it must call `run` synchronously and return its result. A second subscriber wraps
   * the first one's: `const outer = ctx.scope; ctx.scope = (run) => outer ? outer(() => mine(run)) : mine(run)`.
   */
  scope?: <R>(run: () => R) => R;
}

type Channels = TracingChannel<unknown, OperationContext>;

/** Every traced operation, in the order of the docs: a subscriber (e.g. @sessionkit/otel) subscribes to `sessionkit:<name>` for each. */
export const TRACED_OPERATIONS: readonly TracedOperation[] = [
  'get',
  'set',
  'touch',
  'destroy',
  'listUserSessions',
  'revokeUserSession',
  'invalidateAllUserSessions',
  'migrate',
  'stats',
];

/** `sessionkit:<operation>` for every operation. diagnostics_channel keeps one per name, process-wide. */
export const operationChannels = Object.fromEntries(TRACED_OPERATIONS.map((name) => [name, tracingChannel(`sessionkit:${name}`)])) as Record<
  TracedOperation,
  Channels
>;

/** The store's events, also published on `sessionkit:<event>` with the same payload (an array of the event's arguments). */
export type EventChannelName = 'corrupt' | 'invalidate' | 'evict' | 'revoked-write';
const eventChannels: Record<EventChannelName, Channel> = {
  corrupt: channel('sessionkit:corrupt'),
  invalidate: channel('sessionkit:invalidate'),
  evict: channel('sessionkit:evict'),
  'revoked-write': channel('sessionkit:revoked-write'),
};

/**
 * The operation running in this async context, while any is traced. Entered only by a traced
 * operation, so an app nobody observes never enters it: the inner calls of a traced operation (a
 * framework save's core writes, a listing's reads) count toward it instead of being traced again,
 * and the Redis commands they send are counted there.
 */
const current = new AsyncLocalStorage<OperationContext>();
/** Traced operations in flight: while 0, a command sent does not even look for one. */
let inFlight = 0;

/**
 * True when someone listens on the operation's channel. TracingChannel's own `hasSubscribers`
 * came in Node 20.13; the five channels are checked here so Node 20.0 behaves the same.
 */
export function isTraced(operation: TracedOperation): boolean {
  const c = operationChannels[operation];
  return c.start.hasSubscribers || c.end.hasSubscribers || c.asyncStart.hasSubscribers || c.asyncEnd.hasSubscribers || c.error.hasSubscribers;
}

/** A fresh context for `operation`, with the given fields. */
export function operationContext(operation: TracedOperation, fields: Partial<OperationContext> = {}): OperationContext {
  return { operation, roundTrips: 0, retries: 0, conflicts: 0, evicted: 0, ...fields };
}

/** The outcome a failure gives, when the operation has not set one. */
function failureOutcome(error: unknown): string {
  if (error instanceof SessionKitError && error.code === 'ERR_SESSION_LIMIT') return 'limit';
  if (error instanceof SessionKitError && error.code === 'ERR_CONFLICT') return 'gave-up';
  return 'error';
}

/**
 * Runs `run` as the traced operation `ctx`: start, end, then asyncStart and asyncEnd (after
 * error, on failure), as `TracingChannel.tracePromise` publishes them, with `settle` setting the
 * outcome from the result before asyncStart. Called only when `isTraced`; inside another traced
 * operation it only runs `run` (that operation is the one reported).
 */
export function traced<R>(ctx: OperationContext, run: (ctx: OperationContext) => Promise<R>, settle: (result: R, ctx: OperationContext) => void): Promise<R> {
  const outer = current.getStore();
  if (outer) return run(outer);
  const c = operationChannels[ctx.operation];
  return c.start.runStores(ctx, () => {
    let promise: Promise<R>;
    inFlight++;
    try {
      const scope = ctx.scope;
      promise = current.run(ctx, () => (scope ? scope(() => run(ctx)) : run(ctx)));
    } catch (error) {
      inFlight--;
      fail(c, ctx, error);
      c.end.publish(ctx);
      throw error;
    }
    c.end.publish(ctx);
    return promise.then(
      (result) => {
        inFlight--;
        settle(result, ctx);
        c.asyncStart.publish(ctx);
        c.asyncEnd.publish(ctx);
        return result;
      },
      (error: unknown) => {
        inFlight--;
        fail(c, ctx, error);
        c.asyncStart.publish(ctx);
        c.asyncEnd.publish(ctx);
        throw error;
      },
    );
  });
}

function fail(c: Channels, ctx: OperationContext, error: unknown): void {
  ctx.error = error;
  ctx.outcome = failureOutcome(error);
  c.error.publish(ctx);
}

/**
 * Publishes a store event on its channel, and notes it on the traced operation it happened in
 * (a corrupt record makes a read's outcome 'corrupt'; evictions are counted).
 */
export function publishEvent(event: string, args: readonly unknown[]): void {
  const target = eventChannels[event as EventChannelName];
  if (target?.hasSubscribers) target.publish(args);
  if (inFlight === 0) return;
  const ctx = current.getStore();
  if (!ctx) return;
  if (event === 'corrupt' && ctx.operation === 'get') ctx.outcome = 'corrupt';
  else if (event === 'evict') ctx.evicted += (args[0] as { idHashes: string[] }).idHashes.length;
}

/** Marks `ctx`'s outcome unless an event already did (a corrupt record stays 'corrupt'). */
export function settleOutcome(ctx: OperationContext, outcome: string): void {
  ctx.outcome ??= outcome;
}

const counted = new WeakMap<RedisNode, RedisNode>();

function countOne(): void {
  if (inFlight === 0) return;
  const ctx = current.getStore();
  if (ctx) ctx.roundTrips++;
}

function countingNode(node: RedisNode): RedisNode {
  let wrapped = counted.get(node);
  if (!wrapped) {
    wrapped = {
      send: (args, key) => {
        countOne();
        return node.send(args, key);
      },
      sendAll: (commands) => {
        countOne();
        return node.sendAll(commands);
      },
    };
    counted.set(node, wrapped);
  }
  return wrapped;
}

/**
 * The client seam, counting what each traced operation sends (`roundTrips`). A plain object that
 * hands every call to the seam it wraps; while no operation is traced, a send costs one check
 * more.
 */
export function countingClient(client: StoreClient): StoreClient {
  const base = {
    library: client.library,
    raw: client.raw,
    send: (args: Parameters<StoreClient['send']>[0], key?: string) => {
      countOne();
      return client.send(args, key);
    },
    sendAll: (commands: Parameters<StoreClient['sendAll']>[0]) => {
      countOne();
      return client.sendAll(commands);
    },
    masters: () => client.masters().map((node) => (node === client ? wrapper : countingNode(node))),
    onConnectionChange: (listener: (up: boolean) => void) => client.onConnectionChange(listener),
  };
  const wrapper: StoreClient = client.cluster
    ? {
        ...base,
        cluster: true,
        masterOf: (key: string) => {
          const node = client.masterOf(key);
          return node && countingNode(node);
        },
      }
    : { ...base, cluster: false };
  return wrapper;
}

/** The context fields of an operation on one session: its hashed tag and the owner the caller gave. */
export function sessionFields(id: unknown, userId?: string | number | null): Partial<OperationContext> {
  const fields: Partial<OperationContext> = {};
  if (typeof id === 'string') fields.idHash = hashId(id);
  if (userId !== undefined && userId !== null) fields.userId = String(userId);
  return fields;
}

/** Outcome of a read: the session or null. */
export function readOutcome(result: unknown, ctx: OperationContext): void {
  settleOutcome(ctx, result === null ? 'miss' : 'hit');
}

/** Outcome of a core write (`SessionStore.set`). */
export function writeOutcome(result: { stored: boolean; reason?: string }, ctx: OperationContext): void {
  if (result.reason === 'conflict') ctx.conflicts++;
  settleOutcome(ctx, result.stored ? 'stored' : (result.reason ?? 'not-stored'));
}

/** Outcome of a touch: the new expiry, or null without a session. */
export function touchOutcome(result: number | null, ctx: OperationContext): void {
  settleOutcome(ctx, result === null ? 'absent' : 'touched');
}

/** Outcome of a revocation of one session: whether there was one. */
export function revokeOutcome(result: boolean, ctx: OperationContext): void {
  ctx.count = result ? 1 : 0;
  settleOutcome(ctx, result ? 'revoked' : 'absent');
}

/** Outcome of a per-user call: how many sessions it listed or revoked. */
export function countOutcome(result: number | readonly unknown[], ctx: OperationContext): void {
  ctx.count = typeof result === 'number' ? result : result.length;
  settleOutcome(ctx, 'done');
}
