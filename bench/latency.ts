/**
 * Comparison 6: latency where the network is real. The app servers reach Redis through
 * bench/delay-proxy.ts (a fixed delay each way, 1 ms by default), and autocannon sends a fixed
 * request rate (300 req/s by default: far below saturation, so latency is network + work, not
 * queueing). Reported per store: median and p99 response time over every response (exact,
 * from raw samples), and what each store adds over MemoryStore.
 *
 * Then logout-everywhere through the same proxy, where round trips cost what they cost on a
 * network: SessionKit against the naive ways.
 */
import type { Redis } from 'ioredis';
import type { BenchConfig } from './config.js';
import { AppPool, compareHttp, THROUGHPUT_STORES, type HttpComparison } from './http.js';
import { runNaive, runSessionKit, type LogoutRun } from './logout.js';
import { forkTs, median } from './util.js';

export interface LatencyResult {
  delayMs: number;
  /** Round trip through the proxy as seen by a client (median PING), ms. */
  pingMs: number;
  http: HttpComparison;
  logout: LogoutRun[];
}

async function medianPing(url: string): Promise<number> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url);
  try {
    await client.ping();
    const samples: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await client.ping();
      samples.push(performance.now() - t0);
    }
    return median(samples);
  } finally {
    await client.quit();
  }
}

export async function benchLatency(
  redis: { host: string; port: number },
  monitor: Redis,
  config: BenchConfig,
  log: (line: string) => void,
): Promise<LatencyResult> {
  const pool = new AppPool();
  const proxy = forkTs<{ port: number }>('delay-proxy.ts', [redis.host, String(redis.port), String(config.delayMs)]);
  try {
    const { port } = await proxy.ready;
    const url = `redis://127.0.0.1:${port}`;
    const pingMs = await medianPing(url);
    log(`  delay proxy on ${port}: ${config.delayMs} ms each way, PING round trip ${pingMs.toFixed(2)} ms (loopback direct: ~0.05 ms)`);
    const http = await compareHttp({
      framework: 'express',
      // On the same client, SessionKit's round trips are those of its ioredis row: the extra row
      // would add a minute to the run and nothing to what this section shows.
      stores: THROUGHPUT_STORES.express.filter((s) => s.id !== 'sessionkit-node-redis'),
      paths: ['/read'],
      redisUrl: url,
      monitor,
      config,
      duration: config.latencyDuration,
      rounds: config.latencyRounds,
      rate: config.rate,
      log,
      pool,
    });
    const logout: LogoutRun[] = [];
    const sizes = config.quick ? [10] : [1000, 10_000];
    for (const n of sizes) {
      for (const run of [() => runSessionKit(url, monitor, n), () => runNaive(url, monitor, n, true), () => runNaive(url, monitor, n, false)]) {
        const r = await run();
        logout.push(r);
        log(`  through the proxy: ${r.method.padEnd(16)} ${String(n).padStart(6)} sessions: ${r.ms.toFixed(0)} ms, ${r.roundTrips} round trips`);
      }
    }
    return { delayMs: config.delayMs, pingMs, http, logout };
  } finally {
    await pool.close();
    await proxy.stop();
    await monitor.flushall();
  }
}
