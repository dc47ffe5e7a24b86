/**
 * Comparison 1: CPU per request at a fixed rate, the table the targets are checked against.
 *
 * Each store runs behind the same app (Express 5 + express-session, Fastify 5 + @fastify/session,
 * Koa 3 + koa-session, React Router 7, Hono 4, Next.js 16; one child process per store, as in the throughput
 * sections), driven at a fixed rate well below
 * saturation by bench/paced-load.ts. Per run: app-process CPU (process.cpuUsage over IPC), Redis
 * CPU (INFO cpu used_cpu_user + used_cpu_sys of the whole redis-server), each minus its idle
 * rate, per 2xx response; commands Redis executed (INFO commandstats) and, in a short pass of its
 * own, the commands the store sent (MONITOR). Rounds visit every store in turn (rotated), and the
 * table gives medians.
 *
 * Why: on a shared 2-core machine saturated req/s moves by a quarter between rounds, because it
 * measures what the other processes left over. CPU time per request at an unsaturated rate is
 * what a store costs, whatever else runs, and it is what users pay for at scale.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Redis } from 'ioredis';
import type { BenchConfig, Framework } from './config.js';
import { type AppPool, PATHS, startApps, type App, type AppSpec, type Path } from './http.js';
import { buildNextApp } from './apps/next-build.js';
import { AT_REST, atRestPrefix, BASELINE } from './apps/shared.js';
import { PacedClient } from './paced-load.js';
import { measureWindow, median, medianOf, redisCpu, sentPerRequest, sleep } from './util.js';

export type RedisClientName = 'ioredis' | 'node-redis' | 'none';

export interface FixedRateSpec extends AppSpec {
  client: RedisClientName;
}

/**
 * The stores of each framework. Koa, React Router and Hono have no MemoryStore
 * row of the Express kind; their cookie sessions (the whole session in a signed or encrypted
 * cookie) are the rows without Redis, and React Router's createMemorySessionStorage is its floor.
 */
export const FIXED_RATE_STORES: Record<Framework, FixedRateSpec[]> = {
  express: [
    { id: 'memory', label: 'MemoryStore (floor: no Redis)', client: 'none' },
    { id: 'connect-redis9', label: 'connect-redis 9 (node-redis)', client: 'node-redis' },
    { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)', client: 'ioredis' },
    { id: 'sessionkit', label: '@sessionkit/express (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/express (node-redis)', client: 'node-redis' },
  ],
  fastify: [
    { id: 'memory', label: 'MemoryStore (floor: no Redis)', client: 'none' },
    { id: 'connect-redis9', label: 'connect-redis 9 (node-redis)', client: 'node-redis' },
    { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)', client: 'ioredis' },
    { id: 'sessionkit', label: '@sessionkit/fastify (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/fastify (node-redis)', client: 'node-redis' },
  ],
  koa: [
    { id: 'cookie', label: 'koa-session cookie (no store: nothing in Redis)', client: 'none' },
    { id: 'koa-redis', label: 'koa-redis 4 (ioredis 4)', client: 'ioredis' },
    { id: 'koa-redis-no-rolling', label: "koa-redis 4, rolling: false (koa-session's default: no slide)", client: 'ioredis' },
    { id: 'sessionkit', label: '@sessionkit/koa (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/koa (node-redis)', client: 'node-redis' },
  ],
  'react-router': [
    { id: 'memory', label: 'createMemorySessionStorage (floor: no Redis)', client: 'none' },
    { id: 'cookie', label: 'createCookieSessionStorage (ceiling: nothing server-side)', client: 'none' },
    { id: 'sessionkit', label: '@sessionkit/react-router (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/react-router (node-redis)', client: 'node-redis' },
  ],
  // What Hono users have now: hono-sessions, whose CookieStore keeps the whole session encrypted in the cookie.
  hono: [
    { id: 'cookie', label: 'hono-sessions CookieStore (ceiling: nothing server-side)', client: 'none' },
    { id: 'sessionkit', label: '@sessionkit/hono (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/hono (node-redis)', client: 'node-redis' },
  ],
  // What Next users have now: iron-session, the whole session sealed in the cookie.
  next: [
    { id: 'cookie', label: 'iron-session (ceiling: nothing server-side)', client: 'none' },
    { id: 'sessionkit', label: '@sessionkit/next (ioredis)', client: 'ioredis' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/next (node-redis)', client: 'node-redis' },
  ],
};

/**
 * The rows a run drives: the framework's stores; with BENCH_BASELINE (a built checkout) its
 * SessionKit row again from that checkout, for an A/B of a change in the same rounds; with
 * BENCH_AT_REST=1 (Express and Fastify) the rows of AT_REST, the cost of protection at rest; with
 * BENCH_FLOOR=1 (Express and Fastify) connect-redis 8 and 9 saving through the floor script
 * (bench/apps/floor-store.ts), the least a guarded, indexed save costs on each client.
 */
function storesOf(framework: Framework): FixedRateSpec[] {
  const specs = [...FIXED_RATE_STORES[framework]];
  const ours = specs.find((spec) => spec.id === 'sessionkit');
  if (process.env.BENCH_AT_REST === '1' && ours && (framework === 'express' || framework === 'fastify'))
    specs.push(...AT_REST.map((row) => ({ id: row.id, label: `${ours.label}, 1 KB session, ${row.name}`, client: 'ioredis' as const })));
  if (process.env.BENCH_FLOOR === '1' && (framework === 'express' || framework === 'fastify'))
    specs.push(
      { id: 'connect-redis8-floor', label: 'connect-redis 8 + the floor save script (ioredis)', client: 'ioredis' },
      { id: 'connect-redis9-floor', label: 'connect-redis 9 + the floor save script (node-redis)', client: 'node-redis' },
    );
  const baseline = process.env.BENCH_BASELINE;
  // The Next app is one `next build` that bundles this checkout's @sessionkit/next: no baseline row.
  if (!baseline || !ours || framework === 'next') return specs;
  if (!existsSync(resolve(baseline, 'packages', framework, 'dist', 'index.js')))
    throw new Error(`BENCH_BASELINE=${baseline} has no built @sessionkit/${framework}: run npm ci && npm run build in that checkout`);
  return [...specs, { id: `sessionkit${BASELINE}`, label: `${ours.label}, baseline checkout`, client: 'ioredis' }];
}

/**
 * Bytes of one session record (STRLEN) of each at-rest row, read after the logins: keys under
 * the row's prefix are its session records only (its index keys are under `idx:<prefix>`).
 */
async function recordBytes(admin: Redis, framework: Framework, specs: FixedRateSpec[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const spec of specs) {
    if (!AT_REST.some((row) => row.id === spec.id)) continue;
    const [, keys] = await admin.scan('0', 'MATCH', `${atRestPrefix(framework, spec.id)}*`, 'COUNT', 10_000);
    if (keys[0]) out.set(spec.id, await admin.strlen(keys[0]));
  }
  return out;
}

/** The at-rest rows against the first one (hashIds: false), for the log: medians and ratios. */
function logAtRest(rows: FixedRateRow[], log: (line: string) => void): void {
  for (const path of PATHS) {
    const ours = AT_REST.map((row) => rows.find((r) => r.store === row.id && r.path === path)).filter((r) => r !== undefined);
    const base = ours[0];
    if (!base) continue;
    log(`  at rest, ${ours[0]!.framework} ${path} (medians; ratios vs ${AT_REST[0]!.name}):`);
    for (const r of ours)
      log(
        `    ${r.label.padEnd(70)} app ${r.appCpuUs.toFixed(0).padStart(4)} µs (${(r.appCpuUs / base.appCpuUs).toFixed(3)}x)  ` +
          `app + Redis ${r.totalCpuUs.toFixed(0).padStart(4)} µs (${(r.totalCpuUs / base.totalCpuUs).toFixed(3)}x)  ` +
          `${r.commandsPerRequest.toFixed(3)} cmd/req  record ${r.recordBytes ?? '?'} B`,
      );
  }
}

export interface FixedRateRun {
  requests: number;
  seconds: number;
  /** Achieved rate (2xx per second): close to the asked rate, or the server could not keep up. */
  rps: number;
  failures: number;
  /** CPU µs per request (Redis: its idle rate subtracted). */
  appCpuUs: number;
  redisCpuUs: number;
  totalCpuUs: number;
  /** Commands Redis executed per request in the window, those inside scripts included. */
  executedPerRequest: number;
  /** Commands the store sent per request (MONITOR pass after the window). */
  commandsPerRequest: number;
  byCommand: Record<string, number>;
  p50: number;
  p99: number;
}

/** Medians over the rounds (app + Redis: the median of each round's sum), and every round. */
export type FixedRateRow = FixedRateRun & {
  framework: Framework;
  store: string;
  label: string;
  client: RedisClientName;
  path: Path;
  runs: FixedRateRun[];
  /** BENCH_AT_REST rows: bytes of one session record in Redis (STRLEN), after its login. */
  recordBytes?: number;
};

export interface FixedRateComparison {
  framework: Framework;
  rate: number;
  duration: number;
  warmup: number;
  rounds: number;
  connections: number;
  sessions: number;
  countRequests: number;
  /** Idle CPU rates, µs per second (medians of the idle windows before each round): Redis's is subtracted, the apps' are recorded only. */
  idle: { redisUsPerSecond: number; appUsPerSecond: Record<string, number> };
  rows: FixedRateRow[];
}

export type FixedRateResult = Partial<Record<Framework, FixedRateComparison>>;

interface Driven {
  spec: FixedRateSpec;
  app: App;
  client: PacedClient;
}

async function compareFixedRate(
  framework: Framework,
  redisUrl: string,
  admin: Redis,
  config: BenchConfig,
  log: (line: string) => void,
  pool: AppPool,
): Promise<FixedRateComparison> {
  const f = config.fixedRate;
  const specs = storesOf(framework);
  // express-session's touch (and the unchanged rolling save of @fastify/session and koa-session)
  // is throttled by SessionKit to once per `touchAfter` (60 s) per session. A store waits longer than that for its next turn
  // (a round takes over a minute), so every session's touch falls due again in between. Each
  // run's warm-up visits every session (fewer sessions than warm-up requests), so those touches
  // are paid before the window, and the window measures sessions active within the last minute,
  // whose touch is not due: the steady state of a busy app, not an artefact of the rotation.
  const sessions = Math.min(f.sessions, config.sessions);
  const warm = Math.round(f.rate * f.warmup);
  if (warm < sessions)
    log(`  note: the warm-up (${warm} requests) does not visit all ${sessions} sessions; touches that fell due between rounds land in the window`);
  // Next serves a production build: made here, once, before its app processes start (when stale).
  if (framework === 'next') buildNextApp(log);
  const apps = await startApps(framework, specs, redisUrl, config.sessions, pool);
  const paced = (app: App) => new PacedClient(app.port, app.cookies.slice(0, sessions), f.connections);
  const targets: Driven[] = specs.map((spec) => ({ spec, app: apps.get(spec.id)!, client: paced(apps.get(spec.id)!) }));
  const bytes = await recordBytes(admin, framework, specs);
  // Warm every app's read and write paths (JIT, connections, the scripts on each Redis
  // connection) unpaced, so that no round measures a cold one.
  const warmUp = async () => {
    for (const t of targets) for (const path of PATHS) await t.client.run(path, Math.max(5000, f.rate * 10), f.warmupRequests);
  };
  try {
    await warmUp();

    const idleRedis: number[] = [];
    const idleApp = new Map<string, number[]>();
    const runs = new Map<string, FixedRateRun[]>();
    const count = Math.max(1, Math.round(f.rate * f.duration));
    for (let round = 0; round < f.rounds; round++) {
      // Every round on fresh app processes (see AppPool.renew): rounds become independent samples.
      if (round > 0) {
        for (const t of targets) t.client.close();
        const renewed = await Promise.all(targets.map((t) => pool.renew(framework, t.spec.id, redisUrl, config.sessions)));
        targets.forEach((t, i) => {
          t.app = renewed[i]!;
          t.client = paced(t.app);
        });
        await warmUp();
      }
      // Idle rates: Redis's timers (serverCron) cost it CPU with no request at all (2-3 ms per
      // second for an idle redis-server here, several µs per request at 500 req/s), the same
      // for every store; measured with every app connected and idle. The apps' own idle rates
      // are kept for the record only (see below).
      if (f.idle > 0) {
        const r0 = await redisCpu(admin);
        const a0 = await Promise.all(targets.map((t) => t.app.cpuSeconds()));
        const t0 = performance.now();
        await sleep(f.idle * 1000);
        const seconds = (performance.now() - t0) / 1000;
        const a1 = await Promise.all(targets.map((t) => t.app.cpuSeconds()));
        idleRedis.push((((await redisCpu(admin)) - r0) * 1e6) / seconds);
        for (const [i, t] of targets.entries()) idleApp.set(t.spec.id, [...(idleApp.get(t.spec.id) ?? []), ((a1[i]! - a0[i]!) * 1e6) / seconds]);
      }
      const order = targets.map((_, i) => targets[(i + round) % targets.length]!);
      for (const t of order) {
        for (const path of PATHS) {
          if (warm > 0) await t.client.run(path, f.rate, warm);
          const window = await measureWindow(admin, t.app, false);
          const load = await t.client.run(path, f.rate, count);
          const m = await window();
          let monitorFailures = 0;
          // Unpaced: what a store sends per request does not depend on the rate (the touch is
          // due by time), and this pass would otherwise add half a minute to the run.
          const sent = await sentPerRequest(admin, async () => {
            const pass = await t.client.run(path, Math.max(5000, f.rate * 10), f.countRequests);
            monitorFailures = pass.failures;
            return pass.ok;
          });
          const idleR = median(idleRedis);
          const per = (cpuSeconds: number, idleUsPerSecond: number) =>
            load.ok ? (cpuSeconds * 1e6 - (Number.isFinite(idleUsPerSecond) ? idleUsPerSecond : 0) * m.seconds) / load.ok : NaN;
          // Not corrected: an idle Node process uses next to nothing by itself, and what an app
          // uses in the idle window is the garbage collection and compilation its last run left,
          // which is that load's own cost.
          const appCpuUs = per(m.appCpu, 0);
          // MemoryStore and the cookie sessions never talk to Redis: what Redis did meanwhile is not their cost.
          const redisCpuUs = t.spec.client === 'none' ? 0 : per(m.redisCpu, idleR);
          const run: FixedRateRun = {
            requests: load.ok,
            seconds: load.seconds,
            rps: load.seconds > 0 ? load.ok / load.seconds : NaN,
            failures: load.failures + monitorFailures,
            appCpuUs,
            redisCpuUs,
            totalCpuUs: appCpuUs + redisCpuUs,
            executedPerRequest: t.spec.client === 'none' ? 0 : load.ok ? m.executed / load.ok : NaN,
            commandsPerRequest: t.spec.client === 'none' ? 0 : sent.total,
            byCommand: sent.byCommand,
            p50: load.p50,
            p99: load.p99,
          };
          const key = `${t.spec.id} ${path}`;
          runs.set(key, [...(runs.get(key) ?? []), run]);
          log(
            `  round ${round + 1}/${f.rounds} ${framework} ${t.spec.label.padEnd(40)} ${path.padEnd(6)} ${run.rps.toFixed(0).padStart(5)} req/s  ` +
              `app ${run.appCpuUs.toFixed(0).padStart(4)} µs  Redis ${run.redisCpuUs.toFixed(1).padStart(5)} µs  sum ${run.totalCpuUs.toFixed(0).padStart(4)} µs/req  ` +
              `${run.commandsPerRequest.toFixed(3)} cmd/req  p50 ${run.p50.toFixed(2)} ms${run.failures ? `  FAILURES ${run.failures}` : ''}`,
          );
        }
      }
    }

    const rows: FixedRateRow[] = PATHS.flatMap((path) =>
      targets.flatMap(({ spec }) => {
        const r = runs.get(`${spec.id} ${path}`);
        const failures = r?.reduce((sum, x) => sum + x.failures, 0) ?? 0;
        const size = bytes.has(spec.id) ? { recordBytes: bytes.get(spec.id) } : {};
        return r ? [{ ...medianOf(r), failures, framework, store: spec.id, label: spec.label, client: spec.client, path, runs: r, ...size }] : [];
      }),
    );
    logAtRest(rows, log);
    const appUsPerSecond: Record<string, number> = {};
    for (const [id, xs] of idleApp) appUsPerSecond[id] = median(xs);
    return {
      framework,
      rate: f.rate,
      duration: f.duration,
      warmup: f.warmup,
      rounds: f.rounds,
      connections: f.connections,
      sessions,
      countRequests: f.countRequests,
      idle: { redisUsPerSecond: median(idleRedis), appUsPerSecond },
      rows,
    };
  } finally {
    for (const t of targets) t.client.close();
  }
}

export async function benchFixedRate(
  redisUrl: string,
  admin: Redis,
  config: BenchConfig,
  log: (line: string) => void,
  pool: AppPool,
): Promise<FixedRateResult> {
  log(
    `  ${config.fixedRate.rate} req/s, ${config.fixedRate.duration} s per run after ${config.fixedRate.warmup} s at the same rate, ` +
      `${config.fixedRate.rounds} round${config.fixedRate.rounds === 1 ? '' : 's'}, ${config.fixedRate.connections} keep-alive connections`,
  );
  const result: FixedRateResult = {};
  for (const framework of config.fixedRate.frameworks) result[framework] = await compareFixedRate(framework, redisUrl, admin, config, log, pool);
  return result;
}
