/**
 * Hands a store call's outcome to a framework's callback on a later tick, outside the promise
 * chain, so that a callback that throws is never called a second time with its own error and
 * never becomes an unhandled rejection. Without a callback, a failure goes to `unhandled` (an
 * adapter's 'error' event), or nowhere.
 *
 * A callback that throws is the framework failing on what the store handed it. Thrown on a bare
 * tick it would be an uncaught exception, which ends the process: one replayed cookie pointing
 * at a tampered value could take down every instance. So the throw is caught and reported
 * instead: as a process warning (`process.on('warning')`, printed to stderr by default), so that
 * it is seen even where no listener is set, and to `unhandled` when the adapter gave one. The
 * request the framework was serving may then never be answered; the process keeps serving the
 * others.
 *
 * Shared by the adapters so that express-session and @fastify/session callbacks behave alike.
 */
// biome-ignore lint/suspicious/noExplicitAny: the frameworks type their callbacks' error as any, and a narrower type would refuse them
export function settle<T>(work: Promise<T>, callback: ((error: any, value?: T) => void) | undefined, unhandled?: (error: unknown) => void): void {
  work.then(
    (value) => {
      if (callback) process.nextTick(call, callback, null, value, unhandled);
    },
    (error: unknown) => {
      if (callback) process.nextTick(call, callback, error, undefined, unhandled);
      else unhandled?.(error);
    },
  );
}

function call<T>(
  // biome-ignore lint/suspicious/noExplicitAny: as in settle
  callback: (error: any, value?: T) => void,
  error: unknown,
  value: T | undefined,
  unhandled: ((error: unknown) => void) | undefined,
): void {
  try {
    if (error === null) callback(null, value);
    else callback(error);
  } catch (thrown) {
    reportThrown(thrown, unhandled);
  }
}

function reportThrown(thrown: unknown, unhandled: ((error: unknown) => void) | undefined): void {
  const error = thrown instanceof Error ? thrown : new Error(`a non-Error value: ${String(thrown)}`);
  process.emitWarning(`a framework callback threw inside a SessionKit store call; the process goes on: ${error.stack ?? error.message}`, {
    type: 'SessionKitCallbackError',
    code: 'ERR_CALLBACK_THREW',
  });
  try {
    unhandled?.(thrown);
  } catch {
    // An 'error' listener that throws too: the warning above already reported the original.
  }
}

/** A store method's callback, as the frameworks type it. */
// biome-ignore lint/suspicious/noExplicitAny: as in settle
export type StoreCallback<T> = (error: any, value?: T) => void;

/**
 * What `callbackOrPromise` returns: with a callback, the callback's return value; without one
 * (or where a callback may or may not be given), the work's result.
 */
export type CallbackOrPromise<T, C> = Promise<[C] extends [StoreCallback<never>] ? unknown : T>;

/**
 * A store method that takes an optional callback and returns a promise either way, as
 * connect-redis 9 and 10 and @fastify/session's stores do:
 * - with a callback, the outcome goes to the callback only (through `settle`: on a later tick,
 *   outside the promise chain, a callback that throws reported, never an uncaught exception), and
 *   the promise resolves with the callback's return value once it has run. It never rejects;
 * - without one, `work` itself is returned. With `unhandled` (an adapter's 'error' event), a
 *   handler is attached that hands it a failure: a caller that awaits still sees the rejection,
 *   one that ignores the promise (as express-session does) never makes it an unhandled rejection.
 */
export function callbackOrPromise<T, C extends StoreCallback<T> | undefined>(
  work: Promise<T>,
  callback: C,
  unhandled?: (error: unknown) => void,
): CallbackOrPromise<T, C> {
  if (!callback) {
    if (unhandled) void work.catch(unhandled);
    return work as CallbackOrPromise<T, C>;
  }
  return new Promise<unknown>((resolve) => {
    settle(
      work,
      (...args: Parameters<StoreCallback<T>>) => {
        let returned: unknown;
        try {
          returned = callback(...args);
        } finally {
          resolve(returned);
        }
      },
      unhandled,
    );
  }) as CallbackOrPromise<T, C>;
}
