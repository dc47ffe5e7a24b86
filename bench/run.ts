/**
 * `npm run bench`: starts its own redis-server, runs every section (or those of BENCH_ONLY),
 * writes the raw results to bench/results/latest.json and rewrites the marked tables of
 * docs/benchmarks.md from them; the doc's prose is written by hand. `BENCH_QUICK=1` for a
 * smoke run into a temp directory. `--tables-from=<json>` rewrites the tables without measuring.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type as osType } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RedisServer } from '@sessionkit/testing';
import { Redis } from 'ioredis';
import { ALL_SECTIONS, loadConfig, type BenchConfig } from './config.js';
import { benchFixedRate } from './fixed-rate.js';
import { AppPool, benchThroughput } from './http.js';
import { benchLatency } from './latency.js';
import { benchLogout } from './logout.js';
import { benchMemory } from './redis-cost.js';
import { benchStoreOps } from './store-ops.js';
import { fillDoc, type BenchResults } from './tables.js';
import { info, packageVersion, rootDir, runMain } from './util.js';

/** The packages whose versions the machine table lists; connect-redis9 is connect-redis 9 installed under another name. */
const PACKAGES =
  'express express-session fastify @fastify/session @fastify/cookie connect-redis connect-redis9 koa koa-session koa-redis react-router hono @hono/node-server hono-sessions next iron-session ioredis redis autocannon';

export interface RunOutput {
  results: BenchResults;
  /** The doc's text after the run, and the tables it rewrote. */
  markdown: string;
  rewritten: string[];
}

/** Runs the benchmark with `config`, writes the results and the doc's tables; `log` gets progress lines. */
export async function runBench(config: BenchConfig, log: (line: string) => void = console.log): Promise<RunOutput> {
  const started = Date.now();
  const server = await new RedisServer().start();
  const monitor = new Redis(server.url);
  // Section 1 and the throughput sections drive the same app processes.
  const pool = new AppPool();
  try {
    const packages: Record<string, string> = { '@sessionkit/*': packageVersion('@sessionkit/core') };
    for (const name of PACKAGES.split(' ')) packages[name === 'connect-redis9' ? 'connect-redis (9)' : name] = packageVersion(name);
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
        redis: (await info(monitor, 'server')).redis_version ?? 'unknown',
        packages,
        loadStart: loadavg(),
        loadEnd: [],
        seconds: 0,
        command: `${config.quick ? 'BENCH_QUICK=1 ' : ''}npm run bench`,
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
    results.express = await section('express', '2. Express 5 + express-session', () => benchThroughput('express', server.url, monitor, config, log, pool));
    results.fastify = await section('fastify', '3. Fastify 5 + @fastify/session', () => benchThroughput('fastify', server.url, monitor, config, log, pool));
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
    return writeTables(saveResults(results, config.json), config, log);
  } finally {
    await pool.close();
    await monitor.quit().catch(() => {});
    await server.dispose();
  }
}

/**
 * What a run of some sections (BENCH_ONLY) leaves in the results file: its sections replace
 * those of `old` and the others are kept, so that the file always holds every table of the doc.
 * Section 1 is kept by framework too: a run of some frameworks (BENCH_FIXED_FRAMEWORKS) replaces
 * theirs and keeps the others'.
 */
export function mergeResults(old: BenchResults | undefined, results: BenchResults): BenchResults {
  if (!old || results.sections.length >= ALL_SECTIONS.length) return results;
  const merged = { ...old, ...Object.fromEntries(Object.entries(results).filter(([, v]) => v !== undefined)) } as BenchResults;
  if (results.fixedRate) merged.fixedRate = { ...old.fixedRate, ...results.fixedRate };
  return merged;
}

/** Writes the run's results to `path`, merged with those already there (see mergeResults). Returns what was written. */
function saveResults(results: BenchResults, path: string): BenchResults {
  const old = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as BenchResults) : undefined;
  const merged = mergeResults(old, results);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(merged, null, 1)}\n`);
  return merged as BenchResults;
}

/** Rewrites the marked tables of `config.out` from `results`; a missing `out` starts as a copy of docs/benchmarks.md (quick mode's temp copy). */
export function writeTables(results: BenchResults, config: BenchConfig, log: (line: string) => void = console.log): RunOutput {
  if (!existsSync(config.out)) {
    mkdirSync(dirname(config.out), { recursive: true });
    copyFileSync(join(rootDir, 'docs', 'benchmarks.md'), config.out);
  }
  const { text, rewritten } = fillDoc(readFileSync(config.out, 'utf8'), results);
  writeFileSync(config.out, text);
  log(`\nWrote ${config.json} and the tables ${rewritten.join(', ')} of ${config.out}.`);
  return { results, markdown: text, rewritten };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const config = loadConfig();
  const from = process.argv.find((a) => a.startsWith('--tables-from='))?.slice('--tables-from='.length);
  if (from && !existsSync(from)) {
    console.error(`${from} does not exist yet: \`npm run bench\` writes it (the full run, or BENCH_ONLY=<sections> for some), then run this again.`);
    process.exit(1);
  }
  runMain(async () => {
    if (from) writeTables(JSON.parse(readFileSync(from, 'utf8')) as BenchResults, config);
    else await runBench(config);
  });
}
