/**
 * @sessionkit/otel: OpenTelemetry spans and metrics for SessionKit, built on core's
 * `sessionkit:<operation>` diagnostics channels (see docs/observability.md). Core has no
 * OpenTelemetry dependency; this package subscribes to its channels, so an app that does not
 * install it pays nothing.
 */
import diagnostics from 'node:diagnostics_channel';
import {
  type Attributes,
  type Context,
  context,
  type Counter,
  type Histogram,
  type MeterProvider,
  metrics,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import { type OperationContext, TRACED_OPERATIONS } from '@sessionkit/core';

export interface SessionKitInstrumentationOptions {
  /** Where spans go. Default: the global tracer provider (`trace.setGlobalTracerProvider`, the Node SDK). */
  tracerProvider?: TracerProvider;
  /** Where metrics go. Default: the global meter provider. */
  meterProvider?: MeterProvider;
  /** Spans `sessionkit.<operation>`. Default true. */
  traces?: boolean;
  /** The metrics (see docs/observability.md). Default true. */
  metrics?: boolean;
  /** Put the owner the caller gave on spans as `user.id` (never on metrics). Default true; false for apps whose user ids are personal data. */
  userId?: boolean;
}

export interface SessionKitInstrumentation {
  /** Unsubscribes from every channel: no span or metric from then on. */
  disable(): void;
}

/** The instrumentation scope's name, as spans and metrics carry it. */
export const SCOPE = '@sessionkit/otel';

/**
 * Views for a MeterProvider read by OpenTelemetry JS's own Prometheus exporter
 * (`@opentelemetry/exporter-prometheus`), which, unlike the Collector's Prometheus exporter and
 * Prometheus's OTLP receiver, does not append the unit to a name: with them the duration
 * histogram is scraped as `sessionkit_operation_duration_seconds_*`, the same name in either path.
 * `new MeterProvider({ readers: [exporter], views: prometheusViews })`.
 */
export const prometheusViews: { instrumentName: string; name: string }[] = [
  { instrumentName: 'sessionkit.operation.duration', name: 'sessionkit.operation.duration_seconds' },
];

/** Session operations take a Redis round trip or a few: buckets from half a millisecond to ten seconds. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The operations whose `count` is sessions revoked. */
const REVOKING = new Set<string>(['destroy', 'revokeUserSession', 'invalidateAllUserSessions']);

interface Instruments {
  operations: Counter;
  duration: Histogram;
  revocations: Counter;
  evictions: Counter;
  conflicts: Counter;
  corrupt: Counter;
}

interface Running {
  span?: Span;
  startedAt: number;
}

/**
 * Subscribes to SessionKit's channels and reports through OpenTelemetry. Call it once at start,
 * after the SDK is set up (with a context manager: the Node SDK registers one). Returns the
 * handle that stops it.
 */
export function instrumentSessionKit(options: SessionKitInstrumentationOptions = {}): SessionKitInstrumentation {
  const tracer = options.traces === false ? undefined : (options.tracerProvider ?? trace.getTracerProvider()).getTracer(SCOPE);
  const withUserId = options.userId !== false;
  const instruments = options.metrics === false ? undefined : createInstruments(options.meterProvider ?? metrics.getMeterProvider());
  const running = new WeakMap<OperationContext, Running>();
  const stops: (() => void)[] = [];

  const handlers = {
    start(ctx: OperationContext) {
      const entry: Running = { startedAt: performance.now() };
      running.set(ctx, entry);
      if (!tracer) return;
      const attributes: Attributes = { 'sessionkit.operation': ctx.operation };
      if (ctx.idHash !== undefined) attributes['sessionkit.session.tag'] = ctx.idHash;
      if (withUserId && ctx.userId !== undefined) attributes['user.id'] = ctx.userId;
      const parent = context.active();
      const span = tracer.startSpan(`sessionkit.${ctx.operation}`, { kind: SpanKind.INTERNAL, attributes }, parent);
      entry.span = span;
      // The operation runs inside the span's context, so the Redis client's spans are its children.
      const inSpan: Context = trace.setSpan(parent, span);
      const outer = ctx.scope;
      ctx.scope = <R>(run: () => R): R => (outer ? outer(() => context.with(inSpan, run)) : context.with(inSpan, run));
    },
    end() {},
    asyncStart() {},
    error(ctx: OperationContext) {
      const span = running.get(ctx)?.span;
      if (!span) return;
      const error = ctx.error;
      if (error instanceof Error) span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      span.setAttribute('error.type', error instanceof Error ? error.name : 'unknown');
    },
    asyncEnd(ctx: OperationContext) {
      const entry = running.get(ctx);
      if (!entry) return;
      running.delete(ctx);
      const outcome = ctx.outcome ?? 'done';
      if (entry.span) {
        entry.span.setAttributes({
          'sessionkit.outcome': outcome,
          'sessionkit.round_trips': ctx.roundTrips,
          'sessionkit.retries': ctx.retries,
          'sessionkit.conflicts': ctx.conflicts,
        });
        if (ctx.evicted) entry.span.setAttribute('sessionkit.evicted', ctx.evicted);
        if (ctx.count !== undefined) entry.span.setAttribute('sessionkit.count', ctx.count);
        entry.span.end();
      }
      if (instruments) record(instruments, ctx, outcome, (performance.now() - entry.startedAt) / 1000);
    },
  };
  for (const name of TRACED_OPERATIONS) {
    const channel = diagnostics.tracingChannel<unknown, OperationContext>(`sessionkit:${name}`);
    channel.subscribe(handlers);
    stops.push(() => channel.unsubscribe(handlers));
  }
  if (instruments) {
    const onCorrupt = (message: unknown) => {
      const [, info] = message as [Error, { idHash: string }];
      // A listing or logout-everywhere that found a key of the wrong type where an index belongs: idHash ''.
      instruments.corrupt.add(1, { kind: info?.idHash === '' ? 'index' : 'session' });
    };
    diagnostics.subscribe('sessionkit:corrupt', onCorrupt);
    stops.push(() => diagnostics.unsubscribe('sessionkit:corrupt', onCorrupt));
  }
  return {
    disable() {
      for (const stop of stops.splice(0)) stop();
    },
  };
}

function createInstruments(provider: MeterProvider): Instruments {
  const meter = provider.getMeter(SCOPE);
  return {
    operations: meter.createCounter('sessionkit.operations', {
      description: 'Session operations, by operation and outcome',
      unit: '{operation}',
    }),
    duration: meter.createHistogram('sessionkit.operation.duration', {
      description: 'Duration of session operations, Redis round trips included',
      unit: 's',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS },
    }),
    revocations: meter.createCounter('sessionkit.revocations', {
      description: 'Sessions revoked: logouts, "sign out that device", logout-everywhere',
      unit: '{session}',
    }),
    evictions: meter.createCounter('sessionkit.evictions', {
      description: 'Sessions pushed out by maxSessionsPerUser',
      unit: '{session}',
    }),
    conflicts: meter.createCounter('sessionkit.conflicts', {
      description: 'Saves that met a concurrent save of the same session (and merged, or retried)',
      unit: '{conflict}',
    }),
    corrupt: meter.createCounter('sessionkit.corrupt_records', {
      description: 'Stored values that could not be read (treated as absent) or keys of the wrong type set aside',
      unit: '{record}',
    }),
  };
}

function record(instruments: Instruments, ctx: OperationContext, outcome: string, seconds: number): void {
  const attributes = { operation: ctx.operation, outcome };
  instruments.operations.add(1, attributes);
  instruments.duration.record(seconds, attributes);
  if (REVOKING.has(ctx.operation) && ctx.count) instruments.revocations.add(ctx.count, { operation: ctx.operation });
  if (ctx.evicted) instruments.evictions.add(ctx.evicted);
  if (ctx.conflicts) instruments.conflicts.add(ctx.conflicts, { operation: ctx.operation });
}
