// Run by otel.test.ts in a process of its own: @opentelemetry/instrumentation-ioredis patches
// ioredis when it is required, so it is registered before anything loads ioredis. Loads the
// built packages (dist), as an app does. Prints the finished spans as JSON.
const { context, trace } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { registerInstrumentations } = require('@opentelemetry/instrumentation');
const { IORedisInstrumentation } = require('@opentelemetry/instrumentation-ioredis');
const { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } = require('@opentelemetry/sdk-trace');

const exporter = new InMemorySpanExporter();
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(tracerProvider);
registerInstrumentations({ instrumentations: [new IORedisInstrumentation()] });

const { Redis } = require('ioredis');
const { FrameworkStore } = require('@sessionkit/core/toolkit');
const { instrumentSessionKit } = require('@sessionkit/otel');

async function main() {
  instrumentSessionKit();
  const client = new Redis(process.argv[2]);
  const store = new FrameworkStore({ client, prefix: 'otel-child:' });
  const sid = 'child-session-AAAAAAAAAAAAAAAAAAAAAAAA';
  await client.ping(); // connected before the traced part: no connection spans in it
  await store.core.redisTime();
  const tracer = trace.getTracer('child');
  await tracer.startActiveSpan('request', async (span) => {
    await store.set(sid, { cookie: { expires: new Date(Date.now() + 60_000) }, userId: 'ann' });
    await store.get(sid);
    span.end();
  });
  client.disconnect();
  const request = exporter.getFinishedSpans().find((span) => span.name === 'request');
  const spans = exporter
    .getFinishedSpans()
    .filter((span) => span.spanContext().traceId === request.spanContext().traceId)
    .map((span) => ({ name: span.name, id: span.spanContext().spanId, parent: span.parentSpanContext?.spanId }));
  process.stdout.write(JSON.stringify(spans));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
