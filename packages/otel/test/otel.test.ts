import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { context, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashId, SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { instrumentSessionKit, prometheusViews, type SessionKitInstrumentation } from '@sessionkit/otel';
import { useRedis } from '@sessionkit/testing';

const redis = useRedis();
const spans = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] });
const prometheus = new PrometheusExporter({ preventServerStart: true });
const meterProvider = new MeterProvider({ readers: [prometheus], views: prometheusViews });
const contextManager = new AsyncLocalStorageContextManager();
let instrumentation: SessionKitInstrumentation | undefined;

beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
});
afterAll(async () => {
  context.disable();
  await meterProvider.shutdown();
  await tracerProvider.shutdown();
});
afterEach(() => {
  instrumentation?.disable();
  instrumentation = undefined;
  spans.reset();
});

/** The metrics as a Prometheus scrape shows them (the exporter's own serializer). */
async function scrape(): Promise<string> {
  const { resourceMetrics } = await prometheus.collect();
  return new PrometheusSerializer().serialize(resourceMetrics);
}

/** The value of one sample line of a scrape, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}'));
    if (wanted.every((pair) => inside.split(',').includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

const sessionSpans = () => spans.getFinishedSpans().filter((span) => span.name.startsWith('sessionkit.'));
const attrs = (span: ReadableSpan) => span.attributes;
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

let n = 0;
const cookie = () => ({ expires: new Date(Date.now() + 60_000), originalMaxAge: 60_000 });

describe('@sessionkit/otel on the real OpenTelemetry SDK', () => {
  it('spans sessionkit.<operation>, children of the caller span, with outcome, round trips, retries and conflicts', async () => {
    instrumentation = instrumentSessionKit({ tracerProvider, meterProvider });
    const store = new FrameworkStore({ client: redis.client(), prefix: `otel${++n}:` });
    const sid = 'otel-session-AAAAAAAAAAAAAAAAAAAAAAAAA';
    await store.set(sid, { cookie: cookie(), userId: 'ann' });
    spans.reset();

    const tracer = tracerProvider.getTracer('test');
    const request = await tracer.startActiveSpan('GET /cart', async (span: Span) => {
      const one = (await store.load(sid))!;
      const two = (await store.load(sid))!;
      one.session.cart = ['apple'];
      await store.set(sid, one.session);
      two.session.wish = 'pear';
      await store.set(sid, two.session);
      span.end();
      return span;
    });

    const found = sessionSpans();
    expect(found.map((span) => [span.name, attrs(span)['sessionkit.outcome']])).toEqual([
      ['sessionkit.get', 'hit'],
      ['sessionkit.get', 'hit'],
      ['sessionkit.set', 'stored'],
      ['sessionkit.set', 'merged'],
    ]);
    for (const span of found) {
      expect(parentOf(span)).toBe(request.spanContext().spanId);
      expect(span.spanContext().traceId).toBe(request.spanContext().traceId);
      expect(attrs(span)['sessionkit.session.tag']).toBe(hashId(sid));
      expect(span.instrumentationScope.name).toBe('@sessionkit/otel');
    }
    expect(attrs(found[3]!)).toMatchObject({
      'sessionkit.operation': 'set',
      'sessionkit.retries': 1,
      'sessionkit.conflicts': 1,
      'sessionkit.round_trips': 2,
      'user.id': 'ann',
    });
    // No session id and no session data anywhere on a span.
    expect(JSON.stringify(found.map((span) => [span.name, span.attributes, span.events]))).not.toMatch(/otel-session|apple|pear/);
  });

  it('metrics: operations by outcome, durations in seconds, revocations, evictions, conflicts, corrupt records (Prometheus names)', async () => {
    instrumentation = instrumentSessionKit({ tracerProvider, meterProvider });
    const before = await scrape();
    const client = redis.client();
    const core = new SessionStore({ client, prefix: `otel${++n}:`, maxSessionsPerUser: 2 });
    const engine = new FrameworkStore({ store: core });
    const ids = ['m-one-AAAAAAAAAAAAAAAAAAAAAAAAAAA', 'm-two-BBBBBBBBBBBBBBBBBBBBBBBBBBB', 'm-three-CCCCCCCCCCCCCCCCCCCCCCCCC'];
    await core.set(ids[0]!, { cookie: cookie(), userId: 'ann' }, { userId: 'ann', ttl: 10_000 });
    await core.set(ids[1]!, { cookie: cookie(), userId: 'ann' }, { userId: 'ann', ttl: 20_000 });
    await core.set(ids[2]!, { cookie: cookie(), userId: 'ann' }, { userId: 'ann', ttl: 30_000 }); // evicts ids[0]
    await engine.get(ids[1]!);
    await engine.get('m-absent-DDDDDDDDDDDDDDDDDDDDDDDDD');
    const a = (await engine.load(ids[1]!))!;
    const b = (await engine.load(ids[1]!))!;
    a.session.x = 1;
    await engine.set(ids[1]!, a.session);
    b.session.y = 2;
    await engine.set(ids[1]!, b.session); // one conflict, merged
    await client.set(core.keys.session('m-corrupt-EEEEEEEEEEEEEEEEEEEEEEEE'), '{"truncated');
    await engine.get('m-corrupt-EEEEEEEEEEEEEEEEEEEEEEEE');
    await engine.destroy(ids[2]!);
    expect((await core.set(ids[2]!, { late: true }, { userId: 'ann' })).reason).toBe('revoked');
    expect(await core.revokeUserSession('ann', ids[1]!)).toBe(true);
    await core.set('m-four-FFFFFFFFFFFFFFFFFFFFFFFFFF', {}, { userId: 'bob' });
    await core.set('m-five-GGGGGGGGGGGGGGGGGGGGGGGGGG', {}, { userId: 'bob' });
    expect(await core.invalidateAllUserSessions('bob')).toBe(2);

    const after = await scrape();
    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('sessionkit_operations_total', { operation: 'get', outcome: 'hit' })).toBe(3);
    expect(delta('sessionkit_operations_total', { operation: 'get', outcome: 'miss' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'get', outcome: 'corrupt' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'set', outcome: 'stored' })).toBe(6);
    expect(delta('sessionkit_operations_total', { operation: 'set', outcome: 'merged' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'set', outcome: 'revoked' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'destroy', outcome: 'revoked' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'revokeUserSession', outcome: 'revoked' })).toBe(1);
    expect(delta('sessionkit_operations_total', { operation: 'invalidateAllUserSessions', outcome: 'done' })).toBe(1);
    expect(delta('sessionkit_revocations_total', { operation: 'destroy' })).toBe(1);
    expect(delta('sessionkit_revocations_total', { operation: 'revokeUserSession' })).toBe(1);
    expect(delta('sessionkit_revocations_total', { operation: 'invalidateAllUserSessions' })).toBe(2);
    expect(delta('sessionkit_evictions_total', {})).toBe(1);
    expect(delta('sessionkit_conflicts_total', { operation: 'set' })).toBe(1);
    expect(delta('sessionkit_corrupt_records_total', { kind: 'session' })).toBe(1);
    // The histogram: seconds, its buckets cumulative, +Inf equal to the count.
    expect(after).toContain('# UNIT sessionkit_operation_duration_seconds s\n# TYPE sessionkit_operation_duration_seconds histogram');
    const inf = sample(after, 'sessionkit_operation_duration_seconds_bucket', { operation: 'get', outcome: 'hit', le: '+Inf' });
    expect(inf).toBe(sample(after, 'sessionkit_operation_duration_seconds_count', { operation: 'get', outcome: 'hit' }));
    expect(inf).toBeGreaterThanOrEqual(3);
    expect(after).toMatch(/sessionkit_operation_duration_seconds_bucket\{[^}]*le="0\.0005"/);
    // Never a session tag or user id on a metric: bounded cardinality.
    expect(after).not.toMatch(/ann|bob|idHash|session_tag/);
    // Every series docs/grafana-dashboard.json and docs/observability.md's alerts query exists in this scrape.
    const docs = ['../../../docs/grafana-dashboard.json', '../../../docs/observability.md'].map((file) => readFileSync(new URL(file, import.meta.url), 'utf8'));
    const queried = new Set(docs.join('\n').match(/sessionkit_[a-z_]+/g));
    expect(queried.size).toBeGreaterThan(5);
    for (const name of queried) expect(after, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
  });

  it('a Redis failure: span status ERROR with error.type, outcome error counted', async () => {
    instrumentation = instrumentSessionKit({ tracerProvider, meterProvider });
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'otel-noscripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting');
    const store = new SessionStore({ client: redis.client({ username: 'otel-noscripts', password: 'pw' }), prefix: `otel${++n}:` });
    const before = await scrape();
    await expect(store.set('otel-refused-AAAAAAAAAAAAAAAAAAAAAAA', {})).rejects.toThrow(/NOPERM/);
    const [span] = sessionSpans();
    expect(span!.status.code).toBe(2); // SpanStatusCode.ERROR
    expect(attrs(span!)).toMatchObject({ 'error.type': 'RedisOperationError', 'sessionkit.outcome': 'error' });
    expect(span!.events.map((event) => event.name)).toEqual(['exception']);
    const after = await scrape();
    const key = { operation: 'set', outcome: 'error' };
    expect(sample(after, 'sessionkit_operations_total', key) - sample(before, 'sessionkit_operations_total', key)).toBe(1);
  });

  it('disable() stops it; userId: false keeps user ids off spans', async () => {
    const store = new SessionStore({ client: redis.client(), prefix: `otel${++n}:` });
    instrumentSessionKit({ tracerProvider, meterProvider, userId: false }).disable();
    await store.set('otel-quiet-AAAAAAAAAAAAAAAAAAAAAAAAA', {}, { userId: 'ann' });
    expect(sessionSpans()).toEqual([]);
    instrumentation = instrumentSessionKit({ tracerProvider, meterProvider, userId: false });
    await store.set('otel-quiet-AAAAAAAAAAAAAAAAAAAAAAAAA', {}, { userId: 'ann' });
    expect(sessionSpans()).toHaveLength(1);
    expect(attrs(sessionSpans()[0]!)['user.id']).toBeUndefined();
  });
});

describe('parenting the Redis client instrumentation', () => {
  it("@opentelemetry/instrumentation-ioredis's command spans are children of sessionkit spans (child process: it patches ioredis on require)", async () => {
    const script = fileURLToPath(new URL('./ioredis-child.cjs', import.meta.url));
    const { host, port } = redis.client().options;
    const child = spawn(process.execPath, [script, `redis://${host}:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect(code, stderr).toBe(0);
    const found = JSON.parse(stdout) as { name: string; id: string; parent?: string; statement?: string }[];
    const byName = (name: string) => found.filter((span) => span.name === name);
    const [request] = byName('request');
    const [set] = byName('sessionkit.set');
    const [get] = byName('sessionkit.get');
    expect(set?.parent).toBe(request!.id);
    expect(get?.parent).toBe(request!.id);
    const redisSpans = found.filter((span) => !span.name.startsWith('sessionkit.') && span.name !== 'request');
    // The save's script, and the read's GET, each under its own operation's span.
    expect(redisSpans.find((span) => span.parent === set!.id)?.name).toMatch(/^(evalsha|eval)$/i);
    expect(redisSpans.find((span) => span.parent === get!.id)?.name).toMatch(/^get$/i);
    expect(redisSpans.every((span) => span.parent === set!.id || span.parent === get!.id)).toBe(true);
  });
});
