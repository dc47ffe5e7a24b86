import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { RedisOperationError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { runStoreCompliance, testClients, useRedisTls, type TestClient, type TestSession } from '@sessionkit/testing';
import { complianceTarget } from './helpers.js';

// TLS to Redis (docs/operations.md#tls): a real redis-server with a TLS listener and a
// certificate from a throwaway CA, and clients that check it as production clients do: ioredis
// (`tls: { ca }`) and node-redis (`socket: { tls: true, ca }`). The listener speaks only TLS, so
// a client that works here spoke TLS.
const redis = useRedisTls();

/** A client of the given kind on the TLS port, trusting the test CA. */
async function tlsClient(kind: TestClient): Promise<SessionStoreOptions['client']> {
  if (kind.library === 'ioredis') return redis.client();
  return (await redis.nodeRedis(kind)) as unknown as SessionStoreOptions['client'];
}

describe.each(testClients)('$name over TLS', (kind) => {
  runStoreCompliance(kind.library === 'ioredis' ? 'core FrameworkStore over TLS' : `core FrameworkStore on ${kind.name} over TLS`, async () =>
    complianceTarget(new FrameworkStore<TestSession>({ client: await tlsClient(kind), prefix: `tls${kind.tag}:`, touchAfter: 0 })),
  );

  it('the per-user index, listing and chunked logout-everywhere work over TLS', async () => {
    const store = new SessionStore({ client: await tlsClient(kind), prefix: `tls-idx${kind.tag}:`, revokeChunkSize: 200 });
    const ids = Array.from({ length: 450 }, (_, i) => `s${i}`);
    await Promise.all(ids.map((id) => store.set(id, { n: id }, { userId: 'alice', meta: { ua: 'test' } })));
    await store.set('bob-1', { n: 'b' }, { userId: 'bob' });

    expect(await store.countUserSessions('alice')).toBe(450);
    expect((await store.get('s7'))?.data).toEqual({ n: 's7' });
    // 450 sessions in chunks of 200: the first script, then a pipeline of chunk scripts.
    expect(await store.invalidateAllUserSessions('alice', { except: 's0' })).toBe(449);
    expect((await store.listUserSessions('alice')).map((s) => s.id)).toEqual([store.sessionHandle('s0')]);
    expect(await store.get('s1')).toBeNull();
    expect(await store.countUserSessions('bob')).toBe(1);
  });
});

describe('TLS', () => {
  it('the listener speaks only TLS: a plain client on that port gets no answer', async () => {
    const plain = new Redis({
      host: '127.0.0.1',
      port: redis.port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      connectTimeout: 2000,
      commandTimeout: 2000,
    });
    plain.on('error', () => {});
    try {
      await expect(plain.connect().then(() => plain.ping())).rejects.toThrow();
    } finally {
      plain.disconnect();
    }
  });

  it('a server certificate the client does not trust is refused: operations reject with the cause, nothing unhandled', async () => {
    const errors: Error[] = [];
    // Node's default trust store, which does not hold the test CA.
    const untrusting = new Redis({ host: '127.0.0.1', port: redis.port, tls: {}, maxRetriesPerRequest: 0, retryStrategy: () => null });
    untrusting.on('error', (error: Error) => errors.push(error));
    const store = new SessionStore({ client: untrusting, prefix: 'tls-untrusted:' });
    try {
      const failure = await store.set('any', { secret: 1 }, { userId: 'u' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(RedisOperationError);
      expect((failure as RedisOperationError).code).toBe('ERR_REDIS');
      await expect(store.get('any')).rejects.toBeInstanceOf(RedisOperationError);
      expect(errors.map((e) => e.message).join('\n')).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
      // The session data never went over the untrusted connection.
      expect(await redis.client().exists('tls-untrusted:any')).toBe(0);
    } finally {
      untrusting.disconnect();
    }
  });
});
