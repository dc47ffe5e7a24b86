/**
 * Benchmark settings. Defaults give the full run (about 30 minutes on 2 cores, 17 of them for
 * section 1); `BENCH_QUICK=1` (or `--quick`) shrinks everything for the smoke test. Every value
 * can be overridden by an environment variable (envName below).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from './util.js';

/** The frameworks section 1 can run; the throughput sections (2, 3) run Express and Fastify only. */
export type Framework = 'express' | 'fastify' | 'koa' | 'react-router' | 'hono' | 'next';
export const FIXED_RATE_FRAMEWORKS: Framework[] = ['express', 'fastify', 'koa', 'react-router', 'hono', 'next'];

export type Section = 'fixed-rate' | 'express' | 'fastify' | 'memory' | 'logout' | 'store-ops' | 'latency';
export const ALL_SECTIONS: Section[] = ['fixed-rate', 'express', 'fastify', 'memory', 'logout', 'store-ops', 'latency'];

/**
 * Section 1, CPU per request at a fixed rate (`rate` requests per second, well below saturation):
 * per run `duration` measured seconds after `warmup` seconds at the same rate; `rounds`, each on
 * fresh app processes; `sessions` the requests cycle through, fewer than the warm-up's requests so
 * that each warm-up visits every session (see fixed-rate.ts on the touch); `connections` of the
 * load generator (keep-alive); `idle` seconds before each round measure the idle CPU subtracted;
 * `warmupRequests` unpaced per path warm each app before each round; `countRequests` in the
 * MONITOR pass after each run.
 */
export interface FixedRateConfig {
  frameworks: Framework[];
  rate: number;
  duration: number;
  warmup: number;
  rounds: number;
  sessions: number;
  connections: number;
  idle: number;
  warmupRequests: number;
  countRequests: number;
}

/**
 * `out`: the Markdown file whose marked tables the run rewrites; `json`: the raw results, which
 * the tables are made from. Sections 2, 3, 6: `rounds` (each visits every store), measured and
 * warm-up seconds per saturated run, autocannon `connections`, users logged in per app
 * (`sessions`), requests of the MONITOR pass. Section 4: sessions per store. Section 5: sessions
 * of one user, repetitions per size, revokeChunkSize values tried at the largest size. Section 6:
 * seconds per store-operation run, redis-benchmark requests at concurrency 1 and 64. Section 7:
 * fixed rate, delay each way of the proxy (ms), measured seconds and rounds.
 */
export interface BenchConfig {
  quick: boolean;
  out: string;
  json: string;
  sections: Section[];
  fixedRate: FixedRateConfig;
  rounds: number;
  duration: number;
  warmup: number;
  connections: number;
  sessions: number;
  countRequests: number;
  memorySessions: number;
  logoutSizes: number[];
  logoutReps: number;
  chunkSizes: number[];
  opsDuration: number;
  rbRequests: number[];
  rate: number;
  delayMs: number;
  latencyDuration: number;
  latencyRounds: number;
}

type Settings = Omit<BenchConfig, 'quick' | 'out' | 'json' | 'sections' | 'fixedRate'>;

// Five rounds in section 1, not three: a round of one store moves by up to 40% on a shared
// 2-core machine, and the median of three still followed one bad round.
const FULL: Settings & { fixedRate: Omit<FixedRateConfig, 'frameworks'> } = {
  fixedRate: { rate: 500, duration: 3, warmup: 0.5, rounds: 5, sessions: 200, connections: 8, idle: 1, warmupRequests: 1000, countRequests: 250 },
  ...{ rounds: 3, duration: 3, warmup: 1, connections: 32, sessions: 1000, countRequests: 500, memorySessions: 10_000 },
  ...{ logoutSizes: [10, 1000, 10_000, 100_000], logoutReps: 3, chunkSizes: [250, 500, 1000, 2000], opsDuration: 1.5, rbRequests: [30_000, 100_000] },
  ...{ rate: 300, delayMs: 1, latencyDuration: 4, latencyRounds: 5 },
};

const QUICK: typeof FULL = {
  fixedRate: { rate: 200, duration: 0.2, warmup: 0.1, rounds: 1, sessions: 20, connections: 4, idle: 0.1, warmupRequests: 10, countRequests: 20 },
  ...{ rounds: 1, duration: 0.3, warmup: 0.1, connections: 8, sessions: 20, countRequests: 40, memorySessions: 200 },
  ...{ logoutSizes: [10, 100], logoutReps: 1, chunkSizes: [10, 50], opsDuration: 0.1, rbRequests: [2000, 5000] },
  ...{ rate: 100, delayMs: 1, latencyDuration: 0.4, latencyRounds: 1 },
};

/** The environment variable of a setting: BENCH_ and its name in capitals (BENCH_LOGOUT_SIZES), BENCH_FIXED_ for section 1's (BENCH_FIXED_RATE). */
const envName = (key: string, prefix: string) => `BENCH_${prefix}${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Numbers from the environment over `settings` (in place): non-negative, and lists of them. */
function fromEnv(settings: Record<string, unknown>, prefix = ''): void {
  for (const [key, value] of Object.entries(settings)) {
    const nested = typeof value === 'object' && !Array.isArray(value);
    if (nested) fromEnv(value as Record<string, unknown>, 'FIXED_');
    const name = envName(key, prefix);
    const raw = process.env[name];
    if (nested || raw === undefined || raw === '') continue;
    const numbers = raw.split(',').map(Number);
    if (numbers.some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`${name} must be a non-negative number (or a comma-separated list), got ${raw}`);
    settings[key] = Array.isArray(value) ? numbers : numbers[0];
  }
}

function names<T extends string>(raw: string | undefined, known: T[], what: string): T[] {
  if (!raw) return known;
  const list = raw.split(',').map((s) => s.trim()) as T[];
  for (const n of list) if (!known.includes(n)) throw new Error(`${what}: unknown ${n}; known: ${known.join(', ')}`);
  return list;
}

export function loadConfig(argv: string[] = process.argv.slice(2), overrides: Partial<BenchConfig> = {}): BenchConfig {
  const quick = overrides.quick ?? (argv.includes('--quick') || ['1', 'true', 'yes'].includes(String(process.env.BENCH_QUICK ?? '').toLowerCase()));
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  // Quick mode never rewrites docs/benchmarks.md or the committed results unless told to: it works on a copy in a temp directory.
  const scratch = join(tmpdir(), 'sessionkit-bench-quick');
  const settings = structuredClone(quick ? QUICK : FULL);
  fromEnv(settings as unknown as Record<string, unknown>);
  return {
    quick,
    out: arg('out') ?? process.env.BENCH_OUT ?? (quick ? join(scratch, 'benchmarks.md') : join(rootDir, 'docs', 'benchmarks.md')),
    json: process.env.BENCH_JSON ?? (quick ? join(scratch, 'latest.json') : join(rootDir, 'bench', 'results', 'latest.json')),
    sections: names(arg('only') ?? process.env.BENCH_ONLY, ALL_SECTIONS, 'BENCH_ONLY'),
    ...settings,
    fixedRate: { ...settings.fixedRate, frameworks: names(process.env.BENCH_FIXED_FRAMEWORKS, FIXED_RATE_FRAMEWORKS, 'BENCH_FIXED_FRAMEWORKS') },
    ...overrides,
  };
}
