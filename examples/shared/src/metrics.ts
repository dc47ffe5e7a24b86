import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { instrumentSessionKit, prometheusViews } from '@sessionkit/otel';

/** What an example app serves on GET /metrics (docs/observability.md). */
export interface Metrics {
  /** The Content-Type of a scrape: Prometheus's text format. */
  readonly contentType: string;
  /** The current metrics, as a Prometheus scrape reads them. */
  scrape(): Promise<string>;
  /** Stops counting. */
  stop(): Promise<void>;
}

/**
 * With METRICS=1: SessionKit's metrics (@sessionkit/otel) on an OpenTelemetry MeterProvider read
 * by the OpenTelemetry Prometheus exporter, which serves no port of its own here: the app serves
 * them on GET /metrics, beside its pages. Otherwise undefined (and /metrics is not found).
 *
 * Why the OpenTelemetry exporter rather than prom-client: the metrics are OpenTelemetry
 * instruments already, so the app that moves to OTLP (a Collector) changes the reader, not the
 * metrics; and the names scraped here are the names the Collector's Prometheus exporter gives.
 */
export function metricsFromEnv(env: NodeJS.ProcessEnv = process.env): Metrics | undefined {
  if (env.METRICS !== '1') return undefined;
  return startMetrics();
}

export function startMetrics(): Metrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const meterProvider = new MeterProvider({ readers: [exporter], views: prometheusViews });
  const instrumentation = instrumentSessionKit({ meterProvider, traces: false });
  const serializer = new PrometheusSerializer();
  return {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    async scrape() {
      const { resourceMetrics } = await exporter.collect();
      return serializer.serialize(resourceMetrics);
    },
    async stop() {
      instrumentation.disable();
      await meterProvider.shutdown();
    },
  };
}
