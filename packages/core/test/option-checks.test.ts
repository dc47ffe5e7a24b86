import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { FrameworkStore, optionSchema } from '@sessionkit/core/toolkit';
import { useRedis } from './helpers.js';

const redis = useRedis();

/** Process warnings emitted while `work` runs (process.emitWarning delivers them on a later tick). */
async function warningsOf(work: () => unknown): Promise<(Error & { code?: string })[]> {
  const seen: (Error & { code?: string })[] = [];
  const listener = (w: Error) => seen.push(w);
  process.on('warning', listener);
  try {
    work();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('warning', listener);
  }
  return seen.filter((w) => w.name === 'SessionKitWarning');
}

const configError = (work: () => unknown): Error & { code?: string } => {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected ERR_CONFIG');
};

describe('option checks: units', () => {
  it("rejects an adapter ttl beyond a browser cookie's 400-day cap, saying it reads seconds", () => {
    const error = configError(() => new FrameworkStore({ client: redis.client(), ttl: 86_400_000 }));
    expect(error).toMatchObject({ code: 'ERR_CONFIG' });
    expect(error.message).toBe(
      'option ttl is in seconds (as in connect-redis): 86400000 is read as 2.74 years, longer than a browser keeps a cookie (400 days); ' +
        'if you meant 86400000 ms, write 86_400. For keys that never expire, use disableTTL: true',
    );
    // 400 days is still accepted; a ttl function is the app's business.
    expect(() => new FrameworkStore({ client: redis.client(), ttl: 400 * 86_400 })).not.toThrow();
    expect(() => new FrameworkStore({ client: redis.client(), ttl: () => 86_400_000 })).not.toThrow();
  });

  it('rejects a core ttl or absoluteTimeout under a second, saying it reads milliseconds', () => {
    const ttl = configError(() => new SessionStore({ client: redis.client(), ttl: 30 }));
    expect(ttl).toMatchObject({ code: 'ERR_CONFIG' });
    expect(ttl.message).toBe(
      'option ttl is in milliseconds: 30 is read as 30 ms, shorter than any session can be meant to last (at least 1000 ms); if you meant 30 seconds, write 30_000',
    );
    const absolute = configError(() => new SessionStore({ client: redis.client(), absoluteTimeout: 2 }));
    expect(absolute.message).toMatch(/^option absoluteTimeout is in milliseconds: 2 is read as 2 ms.*write 2_000$/);
    // Through an adapter, absoluteTimeout is milliseconds too; 0 still means off.
    expect(configError(() => new FrameworkStore({ client: redis.client(), absoluteTimeout: 900 })).message).toMatch(
      /^option absoluteTimeout is in milliseconds: 900/,
    );
    expect(() => new SessionStore({ client: redis.client(), absoluteTimeout: 0 })).not.toThrow();
    expect(() => new FrameworkStore({ client: redis.client(), absoluteTimeout: 0 })).not.toThrow();
  });

  it('warns about a core ttl under a minute (likely seconds), once per process', async () => {
    const first = await warningsOf(() => new SessionStore({ client: redis.client(), ttl: 1800 }));
    expect(first.map((w) => [w.code, w.message])).toEqual([
      ['SESSIONKIT_SHORT_DURATION', 'option ttl is in milliseconds: 1800 is read as 1.8 seconds; if you meant 1800 seconds, write 1_800_000'],
    ]);
    expect(await warningsOf(() => new SessionStore({ client: redis.client(), ttl: 1800 }))).toEqual([]);
  });

  it("does not read an adapter's ttl in seconds as core milliseconds", async () => {
    // ttl: 5 (seconds) becomes 5000 ms in the core store it builds: no warning about milliseconds.
    const seen = await warningsOf(() => new FrameworkStore({ client: redis.client(), ttl: 5 }));
    expect(seen.filter((w) => /ttl/.test(w.message))).toEqual([]);
  });
});

describe('option checks: names', () => {
  afterEach(() => {});

  it('warns about an unknown option and names the nearest valid one', async () => {
    const seen = await warningsOf(() => new FrameworkStore({ client: redis.client(), tll: 60 } as never));
    expect(seen).toHaveLength(1);
    expect(seen[0]!.code).toBe('SESSIONKIT_UNKNOWN_OPTION');
    expect(seen[0]!.message).toMatch(/^RedisStore: unknown option tll is ignored; did you mean ttl\? \(known options: client, prefix, indexPrefix, ttl/);
    const core = await warningsOf(() => new SessionStore({ client: redis.client(), maxSessionPerUser: 3 } as never));
    expect(core.map((w) => w.message)).toEqual([
      expect.stringMatching(/^SessionStore: unknown option maxSessionPerUser is ignored; did you mean maxSessionsPerUser\?/),
    ]);
    const far = await warningsOf(() => new SessionStore({ client: redis.client(), somethingElse: 1 } as never));
    expect(far[0]!.message).toMatch(/^SessionStore: unknown option somethingElse is ignored \(known options/);
  });

  it('names options of older connect-redis versions as such, and still builds the store', async () => {
    let store: FrameworkStore | undefined;
    const seen = await warningsOf(() => {
      store = new FrameworkStore({ client: redis.client(), logErrors: true, db: 2 } as never);
    });
    expect(store).toBeInstanceOf(FrameworkStore);
    expect(seen.map((w) => [w.code, w.message])).toEqual([
      [
        'SESSIONKIT_LEGACY_OPTION',
        "RedisStore: option logErrors is a connect-redis 3 option that means nothing here and is ignored; listen to the client's 'error' event and the store's 'error' event instead",
      ],
      [
        'SESSIONKIT_LEGACY_OPTION',
        'RedisStore: option db is a connect-redis 3 option that means nothing here and is ignored; give the database to the client: new Redis({ db })',
      ],
    ]);
  });

  it('accepts every documented option without a warning', async () => {
    const seen = await warningsOf(
      () =>
        new FrameworkStore({
          client: redis.client(),
          prefix: 'names:',
          indexPrefix: 'names-idx:',
          ttl: 3600,
          disableTouch: false,
          disableTTL: false,
          scanCount: 10,
          userId: (s) => s.userId as string,
          meta: () => undefined,
          absoluteTimeout: 3_600_000,
          maxSessionsPerUser: 5,
          sessionLimitPolicy: 'reject',
          maxPayloadBytes: 10_000,
          revokedTtl: 60_000,
          revokeChunkSize: 100,
          touchAfter: 0,
        }),
    );
    expect(seen).toEqual([]);
  });

  it("knows and resolves an adapter's own options beside the shared ones, and suggests them for a typo", async () => {
    const own = optionSchema('test-adapter', { connectionTimeout: { unit: 'ms', default: 5000 } });
    let store: FrameworkStore | undefined;
    const seen = await warningsOf(() => {
      store = new FrameworkStore({ client: redis.client(), connectionTimeuot: 10 } as never, own);
    });
    expect(store!.resolved.connectionTimeout).toBe(5000);
    expect(seen.map((w) => w.message)).toEqual([
      expect.stringMatching(/^RedisStore: unknown option connectionTimeuot is ignored; did you mean connectionTimeout\?.*, mergeSaves, connectionTimeout\)$/),
    ]);
  });
});
