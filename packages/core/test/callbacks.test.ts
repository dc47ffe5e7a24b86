import { describe, expect, it } from 'vitest';
import { settle } from '@sessionkit/core/toolkit';
import { nextCallbackWarning } from '@sessionkit/testing';

describe('settle (how adapters hand results to framework callbacks)', () => {
  it('a callback that throws is reported (a process warning and the unhandled hook), never an uncaught exception, and never called twice', async () => {
    for (const outcome of [Promise.resolve('value'), Promise.reject(new Error('redis said no'))]) {
      const warned = nextCallbackWarning();
      const reported: unknown[] = [];
      let calls = 0;
      const thrown = new TypeError('this[hash] is not a function');
      settle(
        outcome,
        () => {
          calls++;
          throw thrown;
        },
        (error) => reported.push(error),
      );
      const warning = await warned;
      expect(warning.message).toContain('this[hash] is not a function');
      expect((warning as Error & { code?: string }).code).toBe('ERR_CALLBACK_THREW');
      expect(reported).toEqual([thrown]);
      expect(calls).toBe(1);
    }
  });

  it('without an unhandled hook, and with a hook that throws too, the warning still reports it', async () => {
    for (const unhandled of [
      undefined,
      () => {
        throw new Error('listener failed');
      },
    ]) {
      const warned = nextCallbackWarning();
      settle(
        Promise.resolve(1),
        () => {
          throw new Error('framework bug');
        },
        unhandled,
      );
      expect((await warned).message).toContain('framework bug');
    }
  });

  it('passes value and error through unchanged', async () => {
    const got = await new Promise((resolve) => settle(Promise.resolve(7), (error, value) => resolve([error, value])));
    expect(got).toEqual([null, 7]);
    const failure = new Error('x');
    const failed = await new Promise((resolve) => settle(Promise.reject(failure), (...args: unknown[]) => resolve(args)));
    expect(failed).toEqual([failure]);
  });
});
