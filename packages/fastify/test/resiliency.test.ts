import type { Redis } from 'ioredis';
import { RedisStore } from '@sessionkit/fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, sleep, startApp, useRedis } from './helpers.js';
import { collectUnhandledRejections, nextCallbackWarning, sessionKey } from '@sessionkit/testing';

const redis = useRedis();

// Checked after each test (below), and for the whole file.
const rejections = collectUnhandledRejections();
afterEach(async () => {
  await sleep(20);
  expect(rejections).toEqual([]);
});

/** A client that fails fast instead of queueing while Redis is away. */
function fastFailingClient() {
  const client = redis.client({ commandTimeout: 300, maxRetriesPerRequest: 1, retryStrategy: (times) => Math.min(times * 50, 200) });
  client.on('error', () => {}); // connection errors are expected here; requests report them
  return client;
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const started = Date.now();
  const value = await work;
  return [value, Date.now() - started];
}

const errorLines = (logs: Record<string, unknown>[]) => logs.filter((l) => Number(l.level) >= 50).map((l) => String(l.msg));

describe('Redis unavailable', () => {
  it('a Redis that stops answering gives a quick 503 and a clear log line, then recovers', async () => {
    const logs: Record<string, unknown>[] = [];
    const store = new RedisStore({ client: fastFailingClient(), prefix: 'slow:' });
    const server = await startApp(store, { logs, session: { cookie: { maxAge: 60_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'ann' });
      redis.server.pause();
      let response: Awaited<ReturnType<Client['get']>>;
      let ms: number;
      try {
        [response, ms] = await timed(browser.get('/me'));
      } finally {
        redis.server.resume();
      }
      expect(response.status).toBe(503);
      expect(response.json.code).toBe('ERR_REDIS');
      expect(ms).toBeLessThan(2000);
      expect(errorLines(logs).some((m) => /SessionKit get failed: .*timed out/i.test(m))).toBe(true);

      await sleep(50);
      expect((await browser.get('/me')).json.userId).toBe('ann');
    } finally {
      await server.close();
    }
  });

  it('a stopped Redis gives a quick 503, also for new visitors (the save fails), then recovers after a restart', async () => {
    const logs: Record<string, unknown>[] = [];
    const store = new RedisStore({ client: fastFailingClient(), prefix: 'down:' });
    const server = await startApp(store, { logs, session: { cookie: { maxAge: 60_000 } } });
    try {
      const browser = new Client(server.url);
      await browser.post('/login', { user: 'bob' });
      await redis.server.stop();

      const [known, knownMs] = await timed(browser.get('/me'));
      expect(known.status).toBe(503);
      expect(knownMs).toBeLessThan(3000);

      const [anonymous, anonymousMs] = await timed(new Client(server.url).get('/me'));
      expect(anonymous.status).toBeGreaterThanOrEqual(500);
      expect(anonymousMs).toBeLessThan(3000);
      expect(errorLines(logs).some((m) => /SessionKit get failed/.test(m))).toBe(true);
      expect(errorLines(logs).some((m) => /SessionKit set failed/.test(m))).toBe(true);

      await redis.server.start();
      // The data is gone with that Redis (no persistence in tests), but the app serves again.
      let status = 0;
      for (let i = 0; i < 40 && status !== 200; i++) {
        await sleep(50);
        status = (await browser.post('/login', { user: 'bob' }).catch(() => ({ status: 0 }))).status;
      }
      expect(status).toBe(200);
      expect((await browser.get('/me')).json.userId).toBe('bob');
    } finally {
      await server.close();
    }
  });
});

describe('bad stored values', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    store = new RedisStore({ client: redis.client(), prefix: 'bad:' });
    server = await startApp(store, { logs, session: { cookie: { maxAge: 60_000 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  const corruptions: [string, (key: string) => Promise<unknown>][] = [
    ['a string that is not JSON', (key) => (store.core.client as Redis).set(key, '{not json')],
    ['a hash whose data is not JSON', (key) => (store.core.client as Redis).hset(key, 'd', '{oops', 'c', '1', 'e', String(Date.now() + 60_000), 'l', '1')],
    ['a hash with no expiry', (key) => (store.core.client as Redis).hset(key, 'd', '{}')],
    ['a key of the wrong type', (key) => (store.core.client as Redis).rpush(key, 'x')],
    ['JSON that is not an object', (key) => (store.core.client as Redis).set(key, '[1,2,3]')],
  ];

  for (const [name, corrupt] of corruptions) {
    it(`treats ${name} as no session, and logs a warning`, async () => {
      const browser = new Client(server.url);
      const { json } = await browser.post('/login', { user: 'carl' });
      const key = sessionKey(json.sid, 'bad:');
      await (store.core.client as Redis).del(key);
      await corrupt(key);
      const before = logs.length;
      const me = await browser.get('/me');
      expect(me.status).toBe(200);
      expect(me.json.userId).toBeNull();
      expect(me.json.sid).not.toBe(json.sid);
      expect(logs.slice(before).some((l) => l.level === 40 && /unreadable session/.test(String(l.msg)))).toBe(true);
    });
  }

  it('a session over maxPayloadBytes fails that request with a 500, and does not hang', async () => {
    const small = new RedisStore({ client: redis.client(), prefix: 'big:', maxPayloadBytes: 400 });
    const app = await startApp(small, { session: { cookie: { maxAge: 60_000 } } });
    try {
      const browser = new Client(app.url);
      await browser.post('/login', { user: 'x'.repeat(500) }).then((r) => expect(r.status).toBe(500));
      const [response, ms] = await timed(browser.get('/me'));
      expect(response.status).toBe(200);
      expect(ms).toBeLessThan(1000);
    } finally {
      await app.close();
    }
  });
});

describe('a callback that throws', () => {
  it('is called once and reported as a process warning, never an uncaught exception that would end the process', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'cb-throws:' });
    const calls: unknown[] = [];
    const warned = nextCallbackWarning();
    // vitest fails the run on an uncaught exception: none may happen here.
    store.get('nope', (err, value) => {
      calls.push([err, value]);
      throw new Error('callback bug');
    });
    expect((await warned).message).toContain('callback bug');
    await sleep(20);
    expect(calls).toEqual([[null, null]]);
  });
});
