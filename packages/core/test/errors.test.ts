import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisOperationError, type SessionKitError, SessionStore } from '@sessionkit/core';
import { freePort } from '@sessionkit/testing';
import { useRedis } from './helpers.js';

const redis = useRedis();
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => void process.on('unhandledRejection', onUnhandled));
afterAll(() => void process.off('unhandledRejection', onUnhandled));

describe('Redis failures', () => {
  it('every operation rejects with RedisOperationError carrying the cause; nothing goes unhandled', async () => {
    const port = await freePort(); // nothing listens here
    const client = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    client.on('error', () => {});
    const store = new SessionStore({ client });
    const calls: [string, () => Promise<unknown>][] = [
      ['set', () => store.set('a', {}, { userId: 'u' })],
      ['get', () => store.get('a')],
      ['touch', () => store.touch('a')],
      ['destroy', () => store.destroy('a')],
      ['listUserSessions', () => store.listUserSessions('u')],
      ['countUserSessions', () => store.countUserSessions('u')],
      ['invalidateAllUserSessions', () => store.invalidateAllUserSessions('u')],
      ['revokeUserSession', () => store.revokeUserSession('u', 'a')],
      ['ids', () => store.ids()],
      // length() and all() are built on ids(), whose name the error carries.
      ['ids', () => store.length()],
      ['ids', () => store.all()],
      ['clear', () => store.clear()],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(RedisOperationError);
      expect((error as SessionKitError).code).toBe('ERR_REDIS');
      expect((error as Error).message).toContain(name);
      expect((error as Error).cause).toBeInstanceOf(Error);
    }
    client.disconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(unhandled).toEqual([]);
  });

  it('a command Redis itself rejects surfaces with its message', async () => {
    const client = redis.client();
    const store = new SessionStore({ client });
    // An ACL-less way to make Redis refuse writes: with maxmemory at 1 byte and noeviction, every
    // write that could grow memory fails with OOM.
    await client.config('SET', 'maxmemory', '1');
    await client.config('SET', 'maxmemory-policy', 'noeviction');
    try {
      const error = await store.set('oom', { big: 'x'.repeat(1000) }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RedisOperationError);
      expect(String((error as Error).message)).toMatch(/OOM|maxmemory/i);
    } finally {
      await client.config('SET', 'maxmemory', '0');
    }
  });
});

describe('configuration errors', () => {
  it('are thrown by the constructor with a clear message', () => {
    const client = redis.client();
    const bad: [Record<string, unknown>, RegExp][] = [
      [{}, /client/],
      [{ client, prefix: '' }, /prefix/],
      [{ client, prefix: 'a:', indexPrefix: 'a:idx:' }, /indexPrefix/],
      [{ client, prefix: 'a:b:', indexPrefix: 'a:' }, /indexPrefix/],
      [{ client, ttl: 0 }, /ttl/],
      [{ client, ttl: -1 }, /ttl/],
      [{ client, absoluteTimeout: 'long' }, /absoluteTimeout/],
      [{ client, maxSessionsPerUser: -2 }, /maxSessionsPerUser/],
      [{ client, sessionLimitPolicy: 'drop' }, /sessionLimitPolicy/],
      [{ client, serializer: { parse: JSON.parse } }, /serializer/],
      [{ client, revokeChunkSize: 0 }, /revokeChunkSize/],
    ];
    for (const [options, message] of bad) {
      expect(() => new SessionStore(options as never), JSON.stringify(Object.keys(options))).toThrow(message);
    }
    expect(() => new SessionStore(undefined as never)).toThrow(/client/);
  });

  it('documents its defaults', () => {
    const store = new SessionStore({ client: redis.client() });
    expect(store.options).toMatchObject({
      prefix: 'sess:',
      indexPrefix: 'idx:sess:',
      ttl: 86_400_000,
      absoluteTimeout: 0,
      maxSessionsPerUser: 0,
      sessionLimitPolicy: 'evict-oldest',
      maxPayloadBytes: 1_048_576,
      revokedTtl: 60_000,
      revokeChunkSize: 500,
      scanCount: 100,
    });
  });
});
