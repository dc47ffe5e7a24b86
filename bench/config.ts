/**
 * Benchmark settings. Defaults give the full run (about 30 minutes on 2 cores, 17 of them for
 * section 1); `BENCH_QUICK=1` (or `--quick`) shrinks everything for
 * the smoke test. Every value can be overridden by an env variable, listed next to it.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from './util.js';

/** The frameworks section 1 can run; the throughput sections (2, 3) run Express and Fastify only. */
export type Framework = 'express' | 'fastify' | 'koa' | 'react-router';
export const FIXED_RATE_FRAMEWORKS: Framework[] = ['express', 'fastify', 'koa', 'react-router'];

export type Section = 'fixed-rate' | 'express' | 'fastify' | 'memory' | 'logout' | 'store-ops' | 'latency';
export const ALL_SECTIONS: Section[] = ['fixed-rate', 'express', 'fastify', 'memory', 'logout', 'store-ops', 'latency'];

/** The fixed-rate comparison (CPU per request), the one the targets are checked against. */
export interface FixedRateConfig {
  /** Frameworks to run (BENCH_FIXED_FRAMEWORKS, comma separated): express, fastify, koa, react-router. */
  frameworks: Framework[];
  /** Requests per second, well below saturation (BENCH_FIXED_RATE). */
  rate: number;
  /** Measured seconds per run (BENCH_FIXED_DURATION). */
  duration: number;
  /** Seconds at the same rate before each measured run (BENCH_FIXED_WARMUP). */
  warmup: number;
  /** Rounds; each visits every store, read and write path (BENCH_FIXED_ROUNDS). */
  rounds: number;
  /**
   * Sessions the requests cycle through (BENCH_FIXED_SESSIONS), at most BENCH_SESSIONS (the apps'
   * logged-in users). Kept below the warm-up's requests, so that each run's warm-up visits every
   * session: see fixed-rate.ts on the touch.
   */
  sessions: number;
  /** Keep-alive connections of the load generator (BENCH_FIXED_CONNECTIONS). */
  connections: number;
  /** Seconds of idle time before each round that measure the idle CPU rates subtracted (BENCH_FIXED_IDLE). */
  idle: number;
  /** Unpaced requests per path that warm each app once before the first round (BENCH_FIXED_WARMUP_REQUESTS). */
  warmupRequests: number;
  /** Requests of the MONITOR pass after each run (BENCH_FIXED_COUNT_REQUESTS). */
  countRequests: number;
}

export interface BenchConfig {
  quick: boolean;
  /** Markdown report path (BENCH_OUT). */
  out: string;
  /** Chart path (BENCH_CHART); written next to the report by default. */
  chart: string;
  /** Raw results as JSON (BENCH_JSON), '' for none. Default for a full run: .tmp/bench/results.json, which `--report-from=` renders again. */
  json: string;
  sections: Section[];
  fixedRate: FixedRateConfig;
  /** Repeated rounds per HTTP comparison; each round visits every store (BENCH_ROUNDS). */
  rounds: number;
  /** Measured seconds per HTTP run (BENCH_DURATION). */
  duration: number;
  /** Unmeasured warm-up seconds before each HTTP run (BENCH_WARMUP). */
  warmup: number;
  /** autocannon connections for throughput runs (BENCH_CONNECTIONS). */
  connections: number;
  /** Sessions created before the HTTP runs; each request picks the next one (BENCH_SESSIONS). */
  sessions: number;
  /** Requests of the MONITOR pass after each HTTP run that counts the commands a store sends (BENCH_COUNT_REQUESTS). */
  countRequests: number;
  /** Sessions per store for bytes per session (BENCH_MEMORY_SESSIONS). */
  memorySessions: number;
  /** Sessions of one user for logout-everywhere (BENCH_LOGOUT_SIZES, comma separated). */
  logoutSizes: number[];
  /** Repetitions per logout size (BENCH_LOGOUT_REPS). */
  logoutReps: number;
  /** Naive logout is skipped above this many sessions... never by default (BENCH_NAIVE_MAX). */
  naiveMax: number;
  /** revokeChunkSize values tried at the largest logout size (BENCH_CHUNK_SIZES). */
  chunkSizes: number[];
  /** Seconds per store-operation run (BENCH_OPS_DURATION). */
  opsDuration: number;
  /** Requests per redis-benchmark run at concurrency 1 and 64 (BENCH_RB_REQUESTS, two numbers). */
  redisBenchmarkRequests: [number, number];
  /** Fixed request rate for the latency runs (BENCH_RATE). */
  rate: number;
  /** Delay per direction of the proxy in ms (BENCH_DELAY_MS). */
  delayMs: number;
  /** Measured seconds per latency run (BENCH_LATENCY_DURATION). */
  latencyDuration: number;
  /** Rounds of the latency runs (BENCH_LATENCY_ROUNDS): more than the throughput runs, since a latency median moves with one disturbed round. */
  latencyRounds: number;
}

function num(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return value;
}

function list(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  return raw.split(',').map((s) => {
    const value = Number(s.trim());
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a comma-separated list of positive numbers, got ${raw}`);
    return value;
  });
}

function frameworks(fallback: Framework[]): Framework[] {
  const raw = process.env.BENCH_FIXED_FRAMEWORKS;
  if (!raw) return fallback;
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names)
    if (!FIXED_RATE_FRAMEWORKS.includes(n as Framework))
      throw new Error(`BENCH_FIXED_FRAMEWORKS: unknown framework ${n}; known: ${FIXED_RATE_FRAMEWORKS.join(', ')}`);
  return names as Framework[];
}

export function loadConfig(argv: string[] = process.argv.slice(2), overrides: Partial<BenchConfig> = {}): BenchConfig {
  const quick = overrides.quick ?? (argv.includes('--quick') || ['1', 'true', 'yes'].includes(String(process.env.BENCH_QUICK ?? '').toLowerCase()));
  const outArg = argv.find((a) => a.startsWith('--out='))?.slice('--out='.length);
  // Quick mode never overwrites docs/benchmarks.md unless told to.
  const out =
    overrides.out ??
    outArg ??
    process.env.BENCH_OUT ??
    (quick ? join(tmpdir(), 'sessionkit-bench-quick', 'benchmarks.md') : join(rootDir, 'docs', 'benchmarks.md'));
  const chart = overrides.chart ?? process.env.BENCH_CHART ?? join(out, '..', quick ? 'benchmarks-quick.svg' : 'img/benchmarks.svg');
  const onlyArg = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length) ?? process.env.BENCH_ONLY;
  const sections = onlyArg ? (onlyArg.split(',').map((s) => s.trim()) as Section[]) : ALL_SECTIONS;
  for (const s of sections) if (!ALL_SECTIONS.includes(s)) throw new Error(`unknown section ${s}; known: ${ALL_SECTIONS.join(', ')}`);

  const base: BenchConfig = quick
    ? {
        quick,
        out,
        chart,
        json: '',
        sections,
        fixedRate: {
          frameworks: FIXED_RATE_FRAMEWORKS,
          rate: 200,
          duration: 0.2,
          warmup: 0.1,
          rounds: 1,
          sessions: 20,
          connections: 4,
          idle: 0.1,
          warmupRequests: 10,
          countRequests: 20,
        },
        rounds: 1,
        duration: 0.3,
        warmup: 0.1,
        connections: 8,
        sessions: 20,
        countRequests: 40,
        memorySessions: 200,
        logoutSizes: [10, 100],
        logoutReps: 1,
        naiveMax: Infinity,
        chunkSizes: [10, 50],
        opsDuration: 0.1,
        redisBenchmarkRequests: [2000, 5000],
        rate: 100,
        delayMs: 1,
        latencyDuration: 0.4,
        latencyRounds: 1,
      }
    : {
        quick,
        out,
        chart,
        json: join(rootDir, '.tmp', 'bench', 'results.json'),
        sections,
        fixedRate: {
          frameworks: FIXED_RATE_FRAMEWORKS,
          rate: 500,
          duration: 3,
          warmup: 0.5,
          // Five, not three: a round of one store moves by up to 40% on a shared 2-core machine,
          // and the median of three still followed one bad round (docs/benchmarks.md, rounds column).
          rounds: 5,
          sessions: 200,
          connections: 8,
          idle: 1,
          warmupRequests: 1000,
          countRequests: 250,
        },
        // The throughput, store-operation and latency runs are shorter than they were before
        // section 1 existed (5 s, 2 s, 5 s), to keep the whole run near 15 minutes.
        rounds: 3,
        duration: 3,
        warmup: 1,
        connections: 32,
        sessions: 1000,
        countRequests: 500,
        memorySessions: 10_000,
        logoutSizes: [10, 1000, 10_000, 100_000],
        logoutReps: 3,
        naiveMax: Infinity,
        chunkSizes: [250, 500, 1000, 2000],
        opsDuration: 1.5,
        redisBenchmarkRequests: [30_000, 100_000],
        rate: 300,
        delayMs: 1,
        latencyDuration: 4,
        latencyRounds: 5,
      };
  const rb = list('BENCH_RB_REQUESTS', base.redisBenchmarkRequests);
  const f = base.fixedRate;
  return {
    ...base,
    fixedRate: {
      frameworks: frameworks(f.frameworks),
      rate: Math.max(1, num('BENCH_FIXED_RATE', f.rate)),
      duration: num('BENCH_FIXED_DURATION', f.duration),
      warmup: num('BENCH_FIXED_WARMUP', f.warmup),
      rounds: Math.max(1, Math.round(num('BENCH_FIXED_ROUNDS', f.rounds))),
      sessions: Math.max(1, Math.round(num('BENCH_FIXED_SESSIONS', f.sessions))),
      connections: Math.max(1, Math.round(num('BENCH_FIXED_CONNECTIONS', f.connections))),
      idle: num('BENCH_FIXED_IDLE', f.idle),
      warmupRequests: Math.round(num('BENCH_FIXED_WARMUP_REQUESTS', f.warmupRequests)),
      countRequests: Math.max(1, Math.round(num('BENCH_FIXED_COUNT_REQUESTS', f.countRequests))),
    },
    json: process.env.BENCH_JSON ?? base.json,
    rounds: Math.max(1, Math.round(num('BENCH_ROUNDS', base.rounds))),
    duration: num('BENCH_DURATION', base.duration),
    warmup: num('BENCH_WARMUP', base.warmup),
    connections: Math.max(1, Math.round(num('BENCH_CONNECTIONS', base.connections))),
    sessions: Math.max(1, Math.round(num('BENCH_SESSIONS', base.sessions))),
    countRequests: Math.max(1, Math.round(num('BENCH_COUNT_REQUESTS', base.countRequests))),
    memorySessions: Math.max(1, Math.round(num('BENCH_MEMORY_SESSIONS', base.memorySessions))),
    logoutSizes: list('BENCH_LOGOUT_SIZES', base.logoutSizes),
    logoutReps: Math.max(1, Math.round(num('BENCH_LOGOUT_REPS', base.logoutReps))),
    naiveMax: num('BENCH_NAIVE_MAX', base.naiveMax),
    chunkSizes: list('BENCH_CHUNK_SIZES', base.chunkSizes),
    opsDuration: num('BENCH_OPS_DURATION', base.opsDuration),
    redisBenchmarkRequests: [rb[0] ?? base.redisBenchmarkRequests[0], rb[1] ?? base.redisBenchmarkRequests[1]],
    rate: num('BENCH_RATE', base.rate),
    delayMs: num('BENCH_DELAY_MS', base.delayMs),
    latencyDuration: num('BENCH_LATENCY_DURATION', base.latencyDuration),
    latencyRounds: Math.max(1, Math.round(num('BENCH_LATENCY_ROUNDS', base.latencyRounds))),
    ...overrides,
  };
}
