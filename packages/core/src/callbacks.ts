/**
 * Hands a store call's outcome to a framework's callback on a later tick, outside the promise
 * chain: a callback that throws surfaces as the exception it is, instead of becoming an
 * unhandled rejection or being called a second time with its own error. Without a callback,
 * a failure goes to `unhandled` (an adapter's 'error' event), or nowhere.
 *
 * Shared by the adapters so that express-session and @fastify/session callbacks behave alike.
 */
// biome-ignore lint/suspicious/noExplicitAny: the frameworks type their callbacks' error as any, and a narrower type would refuse them
export function settle<T>(work: Promise<T>, callback: ((error: any, value?: T) => void) | undefined, unhandled?: (error: unknown) => void): void {
  work.then(
    (value) => {
      if (callback) process.nextTick(callback, null, value);
    },
    (error: unknown) => {
      if (callback) process.nextTick(callback, error);
      else unhandled?.(error);
    },
  );
}
