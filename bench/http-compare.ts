/**
 * Runs one HTTP comparison: several stores behind the same app, read and/or write path,
 * repeated rounds (each round visits every store, in a rotated order so no store always runs
 * first or last), medians over rounds.
 */
import type { Redis } from 'ioredis';
import type { BenchConfig } from './config.js';
import { runLoad, startApps, type AppPool, type AppSpec, type LoadResult, type Skipped } from './http-load.js';
import { median } from './util.js';

export interface StoreSpec extends AppSpec {
  /** Paths this store runs; default both. */
  paths?: ('/read' | '/write')[];
}

export interface HttpRow {
  store: string;
  label: string;
  path: '/read' | '/write';
  runs: LoadResult[];
  /** Medians over the rounds. */
  rps: number;
  commandsPerRequest: number;
  executedPerRequest: number;
  redisCpuUsPerRequest: number;
  serverCpuUsPerRequest: number;
  p50: number;
  p99: number;
  failures: number;
}

export interface HttpComparison {
  framework: 'express' | 'fastify';
  connections: number;
  duration: number;
  rounds: number;
  sessions: number;
  rate?: number;
  rows: HttpRow[];
  /** Optional stores that could not run (e.g. a client the store does not support yet). */
  skipped?: Skipped[];
}

export interface CompareOptions {
  framework: 'express' | 'fastify';
  stores: StoreSpec[];
  paths: ('/read' | '/write')[];
  /** Where the app servers reach Redis (the delay proxy for the latency section). */
  redisUrl: string;
  monitor: Redis;
  config: BenchConfig;
  duration: number;
  /** Default config.rounds. */
  rounds?: number;
  rate?: number;
  keepLatencies?: boolean;
  log: (line: string) => void;
  /** Apps shared with other sections (kept running); without one, the apps stop at the end. */
  pool?: AppPool;
}

export async function compareHttp(options: CompareOptions): Promise<HttpComparison> {
  const { framework, config, log } = options;
  const rounds = options.rounds ?? config.rounds;
  // Every app starts up front, then the users log in; optional stores that cannot run are left out.
  const { apps, skipped, release } = await startApps(framework, options.stores, options.redisUrl, config.sessions, log, options.pool);
  const stores = options.stores.filter((s) => apps.has(s.id));
  try {
    const runs = new Map<string, LoadResult[]>();
    for (let round = 0; round < rounds; round++) {
      const order = stores.map((_, i) => stores[(i + round) % stores.length]!);
      for (const spec of order) {
        for (const path of options.paths) {
          if (spec.paths && !spec.paths.includes(path)) continue;
          const result = await runLoad(apps.get(spec.id)!, options.monitor, {
            path,
            duration: options.duration,
            warmup: config.warmup,
            connections: options.rate ? Math.min(config.connections, 8) : config.connections,
            rate: options.rate,
            keepLatencies: options.keepLatencies,
            countRequests: config.countRequests,
          });
          const key = `${spec.id} ${path}`;
          runs.set(key, [...(runs.get(key) ?? []), result]);
          log(
            `  round ${round + 1}/${rounds} ${framework} ${spec.label.padEnd(38)} ${path.padEnd(6)} ` +
              `${result.rps.toFixed(0).padStart(6)} req/s  p50 ${result.latency.p50.toFixed(2)} ms  p99 ${result.latency.p99.toFixed(2)} ms  ` +
              `${result.commandsPerRequest.toFixed(3)} cmd/req  server CPU ${result.serverCpuUsPerRequest.toFixed(0)} µs/req  Redis CPU ${result.redisCpuUsPerRequest.toFixed(1)} µs/req${result.failures ? `  FAILURES ${result.failures}` : ''}`,
          );
        }
      }
    }

    const rows: HttpRow[] = [];
    for (const path of options.paths) {
      for (const spec of stores) {
        const r = runs.get(`${spec.id} ${path}`);
        if (!r) continue;
        rows.push({
          store: spec.id,
          label: spec.label,
          path,
          runs: r,
          rps: median(r.map((x) => x.rps)),
          commandsPerRequest: median(r.map((x) => x.commandsPerRequest)),
          executedPerRequest: median(r.map((x) => x.executedPerRequest)),
          redisCpuUsPerRequest: median(r.map((x) => x.redisCpuUsPerRequest)),
          serverCpuUsPerRequest: median(r.map((x) => x.serverCpuUsPerRequest)),
          p50: median(r.map((x) => x.latency.p50)),
          p99: median(r.map((x) => x.latency.p99)),
          failures: r.reduce((sum, x) => sum + x.failures, 0),
        });
      }
    }
    return {
      framework,
      connections: options.rate ? Math.min(config.connections, 8) : config.connections,
      duration: options.duration,
      rounds,
      sessions: config.sessions,
      rate: options.rate,
      rows,
      skipped,
    };
  } finally {
    await release();
  }
}

export function row(c: HttpComparison, store: string, path: '/read' | '/write'): HttpRow | undefined {
  return c.rows.find((r) => r.store === store && r.path === path);
}
