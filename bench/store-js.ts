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
 */
import diagnostics from 'node:diagnostics_channel';
import { Redis } from 'ioredis';
import { SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { RedisServer } from '@sessionkit/testing';
import { median } from './util.js';

interface Seam {
  send(args: readonly unknown[], key?: string): Promise<unknown>;
}

const server = await new RedisServer().start();
const client = new Redis(server.url);
try {
  const core = new SessionStore({ client, prefix: 'js:' });
  const store = new FrameworkStore({ store: core as never });
  const session = (i: number) => ({
    cookie: { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000), httpOnly: true, path: '/', secure: false },
    userId: `user-${i}`,
    profile: { name: `User ${i}`, email: `user${i}@example.com`, roles: ['member'] },
    csrf: 'abcdefghijklmnopqrstuvwx',
    counter: 0,
  });
  const ids = Array.from({ length: 200 }, (_, i) => `sid${i}`);
  for (const [i, id] of ids.entries()) await core.set(id, session(i), { userId: `user-${i}` });
  const values = new Map<string, unknown>();
  for (const id of ids) values.set(`js:${id}`, await client.get(`js:${id}`));
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
  if (!Array.isArray(saveReply)) throw new Error('no save reply recorded');
  // Every later save answers as if it landed on the version it loaded.
  seam.send = async (args) => {
    if (args[0] === 'GET') return values.get(String(args[1]));
    if (args[0] === 'TIME') return [String(Math.floor(Date.now() / 1000)), '0'];
    return saveReply;
  };
  const cases: Record<string, (i: number) => Promise<unknown> | unknown> = {
    'JSON.parse + JSON.stringify of the session (every store pays it)': (i) => JSON.stringify(JSON.parse(JSON.stringify(session(i % 200)))),
    'get (a read request)': (i) => store.get(ids[i % 200]!),
    'get + set (a write request)': async (i) => {
      const s = (await store.get(ids[i % 200]!)) as Record<string, number>;
      s.counter = i;
      await store.set(ids[i % 200]!, s as never);
    },
  };
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
