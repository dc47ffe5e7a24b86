/**
 * `npm run bench`: starts its own redis-server, runs every comparison, prints the tables and
 * writes docs/benchmarks.md plus docs/img/benchmarks.svg. See bench/config.ts for the settings
 * (`BENCH_QUICK=1` for a smoke run) and docs/benchmarks.md for the method.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { RedisServer } from '../packages/testing/src/redis-server.js';
import { loadConfig, type BenchConfig } from './config.js';
import { benchExpress } from './http-express.js';
import { benchFastify } from './http-fastify.js';
import { benchFixedRate } from './fixed-rate.js';
import { AppPool } from './http-load.js';
import { benchLatency } from './latency.js';
import { benchLogout } from './logout.js';
import { benchMemory } from './redis-cost.js';
import { benchChart } from './chart.js';
import { renderMarkdown } from './report.js';
import type { BenchResults, Target } from './results.js';
import { computeTargets } from './targets.js';
import { benchStoreOps } from './store-ops.js';
import { packageVersion, redisVersion } from './util.js';

export interface RunOutput {
  results: BenchResults;
  targets: Target[];
  markdown: string;
  svg: string;
}

const PACKAGES = [
  'express',
  'express-session',
  'fastify',
  '@fastify/session',
  '@fastify/cookie',
  'connect-redis',
  'connect-redis9',
  'koa',
  'koa-session',
  'koa-redis',
  'react-router',
  'ioredis',
  'redis',
  'autocannon',
];

/** Runs the benchmark with `config` and writes the report; `log` gets progress lines. */
export async function runBench(config: BenchConfig, log: (line: string) => void = console.log): Promise<RunOutput> {
  const started = Date.now();
  const loadStart = loadavg();
  const server = await new RedisServer().start();
  const monitor = new Redis(server.url);
  // The fixed-rate and throughput sections drive the same app processes (started once).
  const pool = new AppPool();
  try {
    const packages: Record<string, string> = { '@sessionkit/*': packageVersion('@sessionkit/core') };
    for (const name of PACKAGES) packages[name === 'connect-redis9' ? 'connect-redis (9)' : name] = packageVersion(name);
    // koa-redis brings its own ioredis (4), not the one the other stores share.
    packages['ioredis (koa-redis)'] = packageVersion('koa-redis/node_modules/ioredis');
    const results: BenchResults = {
      meta: {
        date: new Date().toISOString(),
        cpu: cpus()[0]?.model.trim() ?? 'unknown',
        cores: cpus().length,
        memoryGb: totalmem() / 1024 ** 3,
        os: `${osType()} ${release()}`,
        node: process.version,
        redis: await redisVersion(monitor),
        packages,
        loadStart,
        loadEnd: [],
        seconds: 0,
        command: config.quick ? 'BENCH_QUICK=1 npm run bench' : 'npm run bench',
      },
      config,
      sections: config.sections,
    };
    const section = async <T>(name: string, title: string, work: () => Promise<T>): Promise<T | undefined> => {
      if (!config.sections.includes(name as never)) return undefined;
      const t0 = Date.now();
      log(`\n== ${title}`);
      const value = await work();
      log(`   (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      return value;
    };
    // First, on a Redis that nothing else has filled yet: the figures the targets are checked against.
    results.fixedRate = await section('fixed-rate', '1. CPU per request at a fixed rate', () => benchFixedRate(server.url, monitor, config, log, pool));
    results.express = await section('express', '2. Express 5 + express-session', () => benchExpress(server.url, monitor, config, log, pool));
    results.fastify = await section('fastify', '3. Fastify 5 + @fastify/session', () => benchFastify(server.url, monitor, config, log, pool));
    // Nothing after this uses the apps; idle, they would only sit on memory.
    await pool.close();
    // Store operations before the sections that fill Redis with 100,000-session users.
    results.storeOps = await section('store-ops', '6. Store operations', () => benchStoreOps(server.url, server.port, monitor, config, log));
    results.memory = await section('memory', '4. Redis memory per session', () => benchMemory(server.url, monitor, config, log));
    results.logout = await section('logout', '5. Logout-everywhere', () => benchLogout(server.url, monitor, config, log));
    results.latency = await section('latency', '7. Latency through the delay proxy', () =>
      benchLatency({ host: server.host, port: server.port }, monitor, config, log),
    );

    results.meta.loadEnd = loadavg();
    results.meta.seconds = (Date.now() - started) / 1000;
    const targets = computeTargets(results);
    const svg = benchChart(results);
    const markdown = renderMarkdown(results, targets, config.chart);
    mkdirSync(dirname(config.out), { recursive: true });
    mkdirSync(dirname(config.chart), { recursive: true });
    writeFileSync(config.out, markdown);
    writeFileSync(config.chart, svg);
    if (config.json) {
      mkdirSync(dirname(config.json), { recursive: true });
      writeFileSync(config.json, JSON.stringify({ results, targets }, null, 2));
    }
    log('\n== Targets');
    for (const t of targets)
      log(`  ${t.informational ? '  info' : t.met === null ? '  ?   ' : t.met ? '  met ' : 'MISSED'}  ${t.area}: ${t.target} -> ${t.measured}`);
    log(`\nWrote ${config.out} and ${config.chart} in ${results.meta.seconds.toFixed(0)} s.`);
    return { results, targets, markdown, svg };
  } finally {
    await pool.close();
    await monitor.quit().catch(() => {});
    await server.dispose();
  }
}

/**
 * Writes the report and the chart again from a run's saved results, without measuring: for
 * changes to the report's wording or the chart's layout. `npm run bench -- --report-from=<json>`.
 */
export function renderSaved(jsonPath: string, config: BenchConfig): void {
  const { results } = JSON.parse(readFileSync(jsonPath, 'utf8')) as { results: BenchResults };
  const targets = computeTargets(results);
  writeFileSync(config.out, renderMarkdown(results, targets, config.chart));
  writeFileSync(config.chart, benchChart(results));
  console.log(`Wrote ${config.out} and ${config.chart} from ${jsonPath}.`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const from = process.argv.find((a) => a.startsWith('--report-from='))?.slice('--report-from='.length);
  if (from) {
    renderSaved(from, loadConfig());
    process.exit(0);
  }
  runBench(loadConfig()).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
