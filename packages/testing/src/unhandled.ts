import { afterAll, beforeAll, expect } from 'vitest';

/**
 * Collects the file's unhandled promise rejections (a store call nobody awaited that failed) and
 * fails the file if any came: the returned list is live, for tests that check it sooner.
 */
export function collectUnhandledRejections(): unknown[] {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => {
    process.on('unhandledRejection', onUnhandled);
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
  return unhandled;
}

/** The next process warning of SessionKit's callback type (a framework callback that threw). */
export function nextCallbackWarning(): Promise<Error> {
  return new Promise((resolve) => {
    const listener = (warning: Error) => {
      if (warning.name !== 'SessionKitCallbackError') return;
      process.off('warning', listener);
      resolve(warning);
    };
    process.on('warning', listener);
  });
}
