// Preloaded into an example app's entry point (`node --import`) by a test, as an app loads its
// OpenTelemetry set-up before anything else: the real SDK, the HTTP server instrumentation, and
// @sessionkit/otel. Each finished span is appended to SPANS_FILE as a JSON line.
import { appendFileSync } from 'node:fs';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { instrumentSessionKit } from '@sessionkit/otel';

const file = process.env.SPANS_FILE;
const toFile = {
  export(spans, done) {
    for (const span of spans) {
      const { spanId, traceId } = span.spanContext();
      appendFileSync(
        file,
        `${JSON.stringify({ name: span.name, kind: span.kind, id: spanId, traceId, parent: span.parentSpanContext?.spanId, attributes: span.attributes })}\n`,
      );
    }
    done({ code: 0 });
  },
  async shutdown() {},
};
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: toFile })] }));
registerInstrumentations({ instrumentations: [new HttpInstrumentation()] });
instrumentSessionKit();
