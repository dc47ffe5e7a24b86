/**
 * The HTTP machinery of sections 1, 2, 3 and 7: an app per store in a child process
 * (bench/app-server.ts), N users logged in for N session cookies, and autocannon driving it with
 * every request carrying the next cookie in turn (one counter shared by all connections, so
 * concurrent requests use different sessions). Redis commands are counted twice: everything
 * Redis executed in the measured window (INFO commandstats), and, in a short pass of its own,
 * what the store sent (MONITOR, which tells a script's inner commands from a client's).
 * Sections 2 and 3 are saturated runs (throughput); section 1 is in fixed-rate.ts.
 */
import autocannon from 'autocannon';
import type { Redis } from 'ioredis';
import type { BenchConfig, Framework } from './config.js';
import { forkTs, latencyRecorder, measureWindow, medianOf, sentPerRequest } from './util.js';

export type Path = '/read' | '/write';
export const PATHS: Path[] = ['/read', '/write'];

export interface App {
  framework: string;
  store: string;
  port: number;
  cookies: string[];
  /** CPU seconds the app server has used so far, every thread (process.cpuUsage, asked over IPC). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function startApp(framework: Framework, store: string, redisUrl: string, nodeFlags: string[] = []): Promise<App> {
  const child = forkTs<{ port: number }>('app-server.ts', [framework, store, redisUrl], nodeFlags);
  const { port } = await child.ready;
  let asked = 0;
  const cpuSeconds = () =>
    new Promise<number>((resolve) => {
      const id = ++asked;
      // NaN (the table then reads n/a) if the child does not answer: a measurement, never a hang.
      const timer = setTimeout(() => done({ type: 'cpu', id, us: NaN }), 2000);
      const done = (m: { type?: string; id?: number; us?: number }) => {
        if (m?.type !== 'cpu' || m.id !== id) return;
        clearTimeout(timer);
        child.process.off('message', done);
        resolve((m.us ?? NaN) / 1e6);
      };
      child.process.on('message', done);
      child.process.send({ type: 'cpu', id });
    });
  return { framework, store, port, cookies: [], cpuSeconds, stop: child.stop };
}

/** A store a comparison runs, and the paths it runs (default both). */
export interface AppSpec {
  id: string;
  label: string;
  paths?: Path[];
}

/**
 * Apps kept for the whole run: section 1 and the throughput sections drive the same app
 * processes, so that each starts and logs its users in once (startup dominates a quick run).
 */
export class AppPool {
  private readonly entries = new Map<string, Promise<App>>();

  acquire(framework: Framework, store: string, redisUrl: string, sessions: number): Promise<App> {
    const key = `${framework} ${store} ${redisUrl} ${sessions}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = startApp(framework, store, redisUrl).then(async (app) => {
        await createSessions(app, sessions).catch(async (error: unknown) => {
          await app.stop();
          throw error;
        });
        return app;
      });
      entry.catch(() => {});
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * A fresh process for these settings (its users logged in again). Section 1 takes one per
   * round: how a process came out (where the scheduler put it, what its JIT made of the warm-up)
   * stays with it for its life, so rounds of one process are not independent samples.
   */
  async renew(framework: Framework, store: string, redisUrl: string, sessions: number): Promise<App> {
    const key = `${framework} ${store} ${redisUrl} ${sessions}`;
    const old = this.entries.get(key);
    this.entries.delete(key);
    await old?.then((app) => app.stop()).catch(() => undefined);
    return this.acquire(framework, store, redisUrl, sessions);
  }

  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.entries.values());
    this.entries.clear();
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  }
}

/** One app per spec, started in parallel, with `sessions` users logged in. */
export async function startApps(framework: Framework, specs: AppSpec[], redisUrl: string, sessions: number, pool: AppPool): Promise<Map<string, App>> {
  const apps = await Promise.all(specs.map((s) => pool.acquire(framework, s.id, redisUrl, sessions)));
  return new Map(specs.map((s, i) => [s.id, apps[i]!]));
}

/** Logs in `count` users (16 at a time) and keeps each one's session cookies, as one Cookie header. */
export async function createSessions(app: App, count: number): Promise<void> {
  const cookies: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const res = await fetch(`http://127.0.0.1:${app.port}/login?u=${i}`);
      await res.arrayBuffer();
      // Every cookie the login set: Koa signs its session cookie with a second one (`.sig`).
      const setCookies = res.headers.getSetCookie();
      if (res.status !== 200 || !setCookies.length) throw new Error(`${app.framework}/${app.store}: login ${i} gave ${res.status} without a cookie`);
      // By name, the last one winning as in a browser: hono-sessions sets its cookie when the
      // session is created and again when the handler has filled it.
      const jar = new Map(setCookies.map((c) => c.split(';', 1)[0]!).map((pair) => [pair.slice(0, pair.indexOf('=')), pair] as const));
      cookies[i] = [...jar.values()].join('; ');
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, count) }, worker));
  app.cookies = cookies;
  // Every cookie must open a session before we measure anything.
  const probe = await fetch(`http://127.0.0.1:${app.port}/read`, { headers: { cookie: cookies[count - 1]! } });
  await probe.arrayBuffer();
  if (probe.status !== 200) throw new Error(`${app.framework}/${app.store}: a fresh session cookie was refused (${probe.status})`);
}

/**
 * One measured run of one store on one path. Commands sent per request come from the MONITOR
 * pass (each is awaited before the next, so their sum is round trips per request); commands
 * executed (those inside scripts included) and CPU µs per request (Redis's main thread: commands
 * plus socket I/O; the app server's, steadier than req/s on a shared machine) from the measured window.
 */
export interface LoadRun {
  requests: number;
  rps: number;
  /** Non-2xx responses, errors and timeouts: must be 0 for a valid run. */
  failures: number;
  byCommand: Record<string, number>;
  commandsPerRequest: number;
  executedPerRequest: number;
  redisCpuUsPerRequest: number;
  serverCpuUsPerRequest: number;
  p50: number;
  p99: number;
}

/** Medians over the rounds, and every round. */
export type HttpRow = LoadRun & { store: string; label: string; path: Path; runs: LoadRun[] };

export interface HttpComparison {
  framework: 'express' | 'fastify';
  connections: number;
  duration: number;
  rounds: number;
  sessions: number;
  rate?: number;
  rows: HttpRow[];
}

type Length = { duration: number } | { amount: number };

async function cannon(app: App, path: Path, connections: number, length: Length, rate?: number, onLatency?: (ms: number) => void) {
  let next = Math.floor(Math.random() * app.cookies.length);
  const instance = autocannon({
    url: `http://127.0.0.1:${app.port}`,
    connections,
    ...length,
    // autocannon only stops on a sampling tick (default every 1,000 ms), so a 0.3 s run would
    // last 1 s; a 100 ms tick keeps the runs as long as asked.
    sampleInt: 100,
    ...(rate ? { overallRate: rate } : {}),
    requests: [
      {
        method: 'GET',
        path,
        setupRequest: (request: autocannon.Request) => ({ ...request, headers: { ...request.headers, cookie: app.cookies[next++ % app.cookies.length]! } }),
      },
    ],
  });
  // Without a callback autocannon returns its instance, which is both an EventEmitter and a promise.
  if (onLatency)
    (instance as unknown as NodeJS.EventEmitter).on('response', (_c: unknown, status: number, _b: number, ms: number) => {
      if (status >= 200 && status < 300) onLatency(ms);
    });
  return (await instance) as autocannon.Result;
}

export interface CompareOptions {
  framework: 'express' | 'fastify';
  stores: AppSpec[];
  paths: Path[];
  /** Where the app servers reach Redis (the delay proxy for the latency section). */
  redisUrl: string;
  monitor: Redis;
  config: BenchConfig;
  duration: number;
  rounds: number;
  /** A fixed rate (latency section); response times then go into a histogram (µs), not autocannon's whole milliseconds. */
  rate?: number;
  log: (line: string) => void;
  pool: AppPool;
}

/** A warm-up, one measured autocannon run, and a MONITOR pass of `countRequests` requests. */
async function runLoad(app: App, path: Path, o: CompareOptions, connections: number): Promise<LoadRun> {
  const { config, monitor } = o;
  if (config.warmup > 0) await cannon(app, path, connections, { duration: config.warmup }, o.rate);
  const latencies = latencyRecorder();
  const window = await measureWindow(monitor, app, true);
  const result = await cannon(app, path, connections, { duration: o.duration }, o.rate, o.rate ? latencies.record : undefined);
  const m = await window();
  const ok = result['2xx'];
  let failures = result.non2xx + result.errors + result.timeouts;
  const sent = await sentPerRequest(monitor, async () => {
    const pass = await cannon(app, path, connections, { amount: config.countRequests });
    failures += pass.non2xx + pass.errors + pass.timeouts;
    return pass['2xx'];
  });
  const perRequest = (x: number) => (ok ? x / ok : NaN);
  return {
    requests: ok,
    rps: ok / result.duration,
    failures,
    byCommand: sent.byCommand,
    commandsPerRequest: sent.total,
    executedPerRequest: perRequest(m.executed),
    redisCpuUsPerRequest: perRequest(m.redisCpu * 1e6),
    serverCpuUsPerRequest: perRequest(m.appCpu * 1e6),
    p50: o.rate ? latencies.percentile(50) : result.latency.p50,
    p99: o.rate ? latencies.percentile(99) : result.latency.p99,
  };
}

/**
 * Several stores behind the same app, repeated rounds (each round visits every store, in a
 * rotated order so no store always runs first or last), medians over the rounds.
 */
export async function compareHttp(o: CompareOptions): Promise<HttpComparison> {
  const { framework, config, log } = o;
  const apps = await startApps(framework, o.stores, o.redisUrl, config.sessions, o.pool);
  const stores = o.stores;
  const connections = o.rate ? Math.min(config.connections, 8) : config.connections;
  const runs = new Map<string, LoadRun[]>();
  for (let round = 0; round < o.rounds; round++) {
    for (const spec of stores.map((_, i) => stores[(i + round) % stores.length]!)) {
      for (const path of o.paths.filter((p) => !spec.paths || spec.paths.includes(p))) {
        const r = await runLoad(apps.get(spec.id)!, path, o, connections);
        runs.set(`${spec.id} ${path}`, [...(runs.get(`${spec.id} ${path}`) ?? []), r]);
        log(
          `  round ${round + 1}/${o.rounds} ${framework} ${spec.label.padEnd(38)} ${path.padEnd(6)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.p50.toFixed(2)} ms  ` +
            `${r.commandsPerRequest.toFixed(3)} cmd/req  server CPU ${r.serverCpuUsPerRequest.toFixed(0)} µs/req  Redis CPU ${r.redisCpuUsPerRequest.toFixed(1)} µs/req${r.failures ? `  FAILURES ${r.failures}` : ''}`,
        );
      }
    }
  }
  const rows = o.paths.flatMap((path) =>
    stores.flatMap((spec) => {
      const r = runs.get(`${spec.id} ${path}`);
      return r ? [{ ...medianOf(r), failures: r.reduce((sum, x) => sum + x.failures, 0), store: spec.id, label: spec.label, path, runs: r }] : [];
    }),
  );
  return { framework, connections, duration: o.duration, rounds: o.rounds, sessions: config.sessions, rate: o.rate, rows };
}

export const THROUGHPUT_STORES: Record<'express' | 'fastify', AppSpec[]> = {
  express: [
    { id: 'memory', label: 'MemoryStore (ceiling)' },
    { id: 'connect-redis9', label: 'connect-redis 9 (node-redis)' },
    { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)' },
    { id: 'sessionkit', label: '@sessionkit/express (ioredis)' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/express (node-redis)' },
    // The same store without touch throttling: what a request costs when its touch is due.
    { id: 'sessionkit-touch0', label: '@sessionkit/express, touchAfter: 0', paths: ['/read'] },
  ],
  // @fastify/session's defaults (rolling: true, saveUninitialized: true): every request with a session calls get + set.
  fastify: [
    { id: 'memory', label: 'MemoryStore (ceiling)' },
    { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)' },
    { id: 'sessionkit', label: '@sessionkit/fastify (ioredis)' },
    { id: 'sessionkit-node-redis', label: '@sessionkit/fastify (node-redis)' },
  ],
};

/** Sections 2 and 3: saturated throughput of Express or Fastify, read and write path. */
export function benchThroughput(
  framework: 'express' | 'fastify',
  redisUrl: string,
  monitor: Redis,
  config: BenchConfig,
  log: (line: string) => void,
  pool: AppPool,
) {
  const stores = THROUGHPUT_STORES[framework];
  return compareHttp({ framework, stores, paths: PATHS, redisUrl, monitor, config, duration: config.duration, rounds: config.rounds, log, pool });
}
