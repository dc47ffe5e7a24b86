/**
 * `npm run bench:store-js`: the CPU the store's own JavaScript costs per operation, without the
 * Redis client, the socket or Redis: FrameworkStore `get` and `get` + `set` (what a read and a
 * write request cost an adapter), and JSON.parse + JSON.stringify of the same session (what any
 * store pays) for scale.
 *
 * How: a real redis-server stores 200 sessions through the store; then the store's client seam
 * answers from those recorded values (GET) and a recorded save reply, so that every call runs the
 * store's code exactly as in production minus the I/O. Use it to compare a change to the store's
 * hot paths before and after; the app-level figures are section 1 of `npm run bench`.
 *
 * BENCH_ENCRYPTION=1: the cost of `encryptionKeys` instead, side by side in the same rounds: the
 * same store with and without a key, on a session of about 1 KB serialized (the issue's size), and
 * the bytes each record takes in Redis (STRLEN), with and without device meta.
 */
import diagnostics from 'node:diagnostics_channel';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { RedisServer } from '@sessionkit/testing';
import { median } from './util.js';

interface Seam {
  send(args: readonly unknown[], key?: string): Promise<unknown>;
}

const server = await new RedisServer().start();
const client = new Redis(server.url);
try {
  const encryption = process.env.BENCH_ENCRYPTION === '1';
  // About 1 KB serialized with BENCH_ENCRYPTION (the notes pad it), else the apps' login session.
  const session = (i: number) => ({
    cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000), httpOnly: true, path: '/', secure: false },
    userId: `user-${i}`,
    profile: { name: `User ${i}`, email: `user${i}@example.com`, roles: ['member'] },
    csrf: 'abcdefghijklmnopqrstuvwx',
    counter: 0,
    ...(encryption ? { notes: 'n'.repeat(770) } : {}),
  });
  const ids = Array.from({ length: 200 }, (_, i) => `sid${i}`);
  /**
   * A FrameworkStore whose client seam answers from recorded values: 200 sessions stored through
   * it on the real server, then GET from those values and every save with a recorded reply.
   */
  async function prepare(prefix: string, options: Partial<SessionStoreOptions> = {}) {
    const core = new SessionStore({ client, prefix, ...options });
    const store = new FrameworkStore({ store: core as never });
    for (const [i, id] of ids.entries()) await core.set(id, session(i), { userId: `user-${i}` });
    const values = new Map<string, unknown>();
    // By the key the store reads (hashed ids: the handle's key, not the plain id's).
    for (const id of ids) values.set(core.keys.session(id), await client.get(core.keys.session(id)));
    // The seam is private: reached here, and only here, to take the I/O out of the measurement.
    const seam = (core as unknown as { redis: Seam }).redis;
    const real = seam.send.bind(seam);
    let saveReply: unknown;
    seam.send = async (args, key) => {
      const reply = await real(args, key);
      if (args[0] === 'EVALSHA' || args[0] === 'EVAL') saveReply = reply;
      return reply;
    };
    const first = (await store.get(ids[0]!)) as Record<string, number>;
    first.counter = 1;
    await store.set(ids[0]!, first as never);
    // A table, or one string for a save that wrote the record it was given (src/lua/set-indexed.lua).
    if (saveReply === undefined) throw new Error('no save reply recorded');
    // Every later save answers as if it landed on the version it loaded.
    seam.send = async (args) => {
      if (args[0] === 'GET') return values.get(String(args[1]));
      if (args[0] === 'TIME') return [String(Math.floor(Date.now() / 1000)), '0'];
      return saveReply;
    };
    return store;
  }
  const read = (store: FrameworkStore) => (i: number) => store.get(ids[i % 200]!);
  const write = (store: FrameworkStore) => async (i: number) => {
    const s = (await store.get(ids[i % 200]!)) as Record<string, number>;
    s.counter = i;
    await store.set(ids[i % 200]!, s as never);
  };
  const cases: Record<string, (i: number) => Promise<unknown> | unknown> = {
    'JSON.parse + JSON.stringify of the session (every store pays it)': (i) => JSON.stringify(JSON.parse(JSON.stringify(session(i % 200)))),
  };
  if (encryption) {
    const clear = await prepare('clear:');
    const sealed = await prepare('sealed:', { encryptionKeys: [randomBytes(32).toString('base64')] });
    cases['get (a read request), in clear'] = read(clear);
    cases['get (a read request), encryptionKeys'] = read(sealed);
    cases['get + set (a write request), in clear'] = write(clear);
    cases['get + set (a write request), encryptionKeys'] = write(sealed);
    // Bytes in Redis: the same session and meta written both ways.
    const meta = { userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', ip: '203.0.113.7' };
    const plainStore = new SessionStore({ client, prefix: 'size-clear:' });
    const sealedStore = new SessionStore({ client, prefix: 'size-sealed:', encryptionKeys: [randomBytes(32).toString('base64')] });
    const sizes: string[] = [];
    for (const withMeta of [false, true]) {
      const bytes = [];
      for (const store of [plainStore, sealedStore]) {
        await store.set('size', session(0), { userId: 'user-0', ...(withMeta ? { meta } : {}) });
        bytes.push(await client.strlen(store.keys.session('size')));
      }
      const data = Buffer.byteLength(JSON.stringify(session(0)));
      sizes.push(
        `| ${data} B data${withMeta ? `, ${JSON.stringify(meta).length} B meta` : ', no meta'} | ${bytes[0]} | ${bytes[1]} | +${bytes[1]! - bytes[0]!} |`,
      );
    }
    console.log('| record | bytes in clear | bytes with encryptionKeys | growth |\n| --- | ---: | ---: | ---: |');
    console.log(sizes.join('\n'));
  } else {
    const store = await prepare('js:');
    cases['get (a read request)'] = read(store);
    cases['get + set (a write request)'] = write(store);
  }
  // BENCH_TRACE=1: a no-op subscriber on every sessionkit:<operation> channel (the price of the
  // tracing itself, without what a subscriber does with it).
  if (process.env.BENCH_TRACE === '1') {
    const noop = () => {};
    for (const name of ['get', 'set', 'touch', 'destroy']) {
      diagnostics.tracingChannel(`sessionkit:${name}`).subscribe({ start: noop, end: noop, asyncStart: noop, asyncEnd: noop, error: noop });
    }
  }
  // BENCH_OTEL=1: @sessionkit/otel on the real OpenTelemetry SDK (spans to an exporter that drops
  // them, metrics into a MeterProvider with a reader), with the AsyncLocalStorage context manager.
  if (process.env.BENCH_OTEL === '1') {
    const { context } = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const { MeterProvider, InMemoryMetricExporter, AggregationTemporality, PeriodicExportingMetricReader } = await import('@opentelemetry/sdk-metrics');
    const { SimpleSpanProcessor, TracerProvider } = await import('@opentelemetry/sdk-trace');
    const { instrumentSessionKit } = await import('@sessionkit/otel');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const dropping = { export: (_spans: unknown[], done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: async () => {} };
    const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: dropping })] });
    const reader = new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    });
    instrumentSessionKit({ tracerProvider, meterProvider: new MeterProvider({ readers: [reader] }) });
  }
  const perOp: Record<string, number[]> = {};
  const N = 20_000;
  for (let round = 0; round < 7; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const t0 = process.cpuUsage();
      for (let i = 0; i < N; i++) await run(i);
      const t = process.cpuUsage(t0);
      perOp[name] = [...(perOp[name] ?? []), (t.user + t.system) / N];
    }
  }
  console.log('| operation | CPU µs per operation (median of 7 rounds, the first one dropped) |\n| --- | ---: |');
  for (const [name, xs] of Object.entries(perOp)) console.log(`| ${name} | ${median(xs.slice(1)).toFixed(2)} |`);
} finally {
  client.disconnect();
  await server.dispose();
}
process.exit(0);
