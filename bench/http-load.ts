/**
 * HTTP load machinery shared by the Express, Fastify and latency sections: start an app in a
 * child process, log in N users to get N distinct session cookies, then drive autocannon with
 * every request carrying the next cookie in turn (one counter shared by all connections, so
 * concurrent requests use different sessions), and count the Redis commands: everything Redis
 * executed in the measured window (INFO commandstats), and, in a short pass of its own, what the
 * store sent (MONITOR, which tells a script's inner commands from a client's).
 */
import autocannon from 'autocannon';
import type { Framework } from './config.js';
import type { Redis } from 'ioredis';
import { commandStats, countCommands, forkTs, monitorCommands, percentile, processCpuSeconds, redisMainThreadCpu } from './util.js';

export interface App {
  framework: string;
  store: string;
  port: number;
  /** The app server's process, for its CPU time. */
  pid: number | undefined;
  cookies: string[];
  /** CPU seconds the app server has used so far, every thread (process.cpuUsage, reported over IPC). */
  cpuSeconds(): Promise<number>;
  stop(): Promise<void>;
}

export async function startApp(framework: Framework, store: string, redisUrl: string): Promise<App> {
  const child = forkTs<{ port: number }>('app-server.ts', [framework, store, redisUrl]);
  const { port } = await child.ready;
  let asked = 0;
  const cpuSeconds = () =>
    new Promise<number>((resolve) => {
      const id = ++asked;
      // /proc (10 ms ticks) if the child does not answer: a measurement, never a hang.
      const timer = setTimeout(() => {
        child.process.off('message', onMessage);
        resolve(processCpuSeconds(child.process.pid));
      }, 2000);
      const onMessage = (message: unknown) => {
        const m = message as { type?: string; id?: number; us?: number };
        if (m?.type !== 'cpu' || m.id !== id) return;
        clearTimeout(timer);
        child.process.off('message', onMessage);
        resolve((m.us ?? NaN) / 1e6);
      };
      child.process.on('message', onMessage);
      child.process.send({ type: 'cpu', id });
    });
  return { framework, store, port, pid: child.process.pid, cookies: [], cpuSeconds, stop: child.stop };
}

/** A store an HTTP comparison runs; `optional` ones are left out (with the reason) when their app cannot start or log users in. */
export interface AppSpec {
  id: string;
  label: string;
  optional?: boolean;
}

export interface Skipped {
  store: string;
  label: string;
  reason: string;
}

/**
 * Apps kept for the whole run: the fixed-rate section and the throughput sections drive the same
 * app processes, so that each starts and logs its users in once (startup dominates a quick run).
 * One app per framework, store, Redis URL and number of sessions; a failure is kept too (an
 * unsupported client fails the same way the second time).
 */
export class AppPool {
  private readonly entries = new Map<string, Promise<App>>();

  acquire(framework: Framework, store: string, redisUrl: string, sessions: number): Promise<App> {
    const key = `${framework} ${store} ${redisUrl} ${sessions}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = (async () => {
        const app = await startApp(framework, store, redisUrl);
        try {
          await createSessions(app, sessions);
          return app;
        } catch (error) {
          await app.stop();
          throw error;
        }
      })();
      entry.catch(() => {});
      this.entries.set(key, entry);
    }
    return entry;
  }

  /**
   * Stops the pool's app for these settings and starts a fresh one (its users logged in again).
   * Section 1 takes a new process per round: how a process came out (where the scheduler put it,
   * what its JIT made of the warm-up) stays with it for its life, so rounds of one process are
   * not independent samples. One run had a store 35% above its usual figure in all five rounds.
   */
  async renew(framework: Framework, store: string, redisUrl: string, sessions: number): Promise<App> {
    const key = `${framework} ${store} ${redisUrl} ${sessions}`;
    const old = this.entries.get(key);
    this.entries.delete(key);
    if (old !== undefined) await old.then((app) => app.stop()).catch(() => undefined);
    return this.acquire(framework, store, redisUrl, sessions);
  }

  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.entries.values());
    this.entries.clear();
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
  }
}

/**
 * One app per spec, started (in parallel: startup is not measured) with `sessions` users logged
 * in, from `pool` if given. A required store that fails stops everything; an optional one (a
 * client the store may not support yet) is left out and reported in `skipped`. `release` stops
 * the apps unless they belong to a pool.
 */
export async function startApps(
  framework: Framework,
  specs: AppSpec[],
  redisUrl: string,
  sessions: number,
  log: (line: string) => void,
  pool?: AppPool,
): Promise<{ apps: Map<string, App>; skipped: Skipped[]; release(): Promise<void> }> {
  const own = pool ?? new AppPool();
  const release = () => (pool ? Promise.resolve() : own.close());
  const apps = new Map<string, App>();
  const skipped: Skipped[] = [];
  const settled = await Promise.allSettled(specs.map((s) => own.acquire(framework, s.id, redisUrl, sessions)));
  for (let i = 0; i < specs.length; i++) {
    const spec = specs[i]!;
    const r = settled[i]!;
    if (r.status === 'fulfilled') {
      apps.set(spec.id, r.value);
      continue;
    }
    if (!spec.optional) {
      await release();
      throw r.reason;
    }
    // The child's first error line, without the command line forkTs puts before it (it holds a port).
    const message = String((r.reason as Error)?.message ?? r.reason).split('\n')[0]!;
    const reason = message.replace(`app-server.ts ${framework} ${spec.id} ${redisUrl}: `, '').slice(0, 300);
    skipped.push({ store: spec.id, label: spec.label, reason });
    log(`  ${framework} ${spec.label}: not run (${reason})`);
  }
  return { apps, skipped, release };
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
      cookies[i] = setCookies.map((c) => c.split(';', 1)[0]!).join('; ');
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, count) }, worker));
  app.cookies = cookies;
  // Every cookie must open a session before we measure anything.
  const probe = await fetch(`http://127.0.0.1:${app.port}/read`, { headers: { cookie: cookies[count - 1]! } });
  if (probe.status !== 200) throw new Error(`${app.framework}/${app.store}: a fresh session cookie was refused (${probe.status})`);
  await probe.arrayBuffer();
}

export interface LoadOptions {
  path: '/read' | '/write';
  /** Measured seconds. */
  duration: number;
  warmup: number;
  connections: number;
  /** Fixed overall request rate (req/s); omitted: as fast as possible. */
  rate?: number;
  /** Keep every response time (ms) for exact percentiles. */
  keepLatencies?: boolean;
  /** Requests of the MONITOR pass that counts the commands the store sends. */
  countRequests: number;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  rps: number;
  /** Non-2xx responses, errors and timeouts: must be 0 for a valid run. */
  failures: number;
  /** Commands the store sent per request, by name (MONITOR pass). */
  byCommand: Record<string, number>;
  /** Commands the store sent per request: each is awaited before the next, so round trips per request. */
  commandsPerRequest: number;
  /** Commands Redis executed per request in the measured window, those inside scripts included. */
  executedPerRequest: number;
  /** CPU µs of Redis's main thread per request (INFO cpu): commands plus reading and writing the sockets. */
  redisCpuUsPerRequest: number;
  /**
   * CPU µs the app server used per request: what the store costs the app itself. Steadier than
   * req/s on a shared machine, since it does not depend on what else got the cores meanwhile.
   */
  serverCpuUsPerRequest: number;
  latency: { p50: number; p99: number; mean: number };
}

/** `length`: seconds, or `{ amount }` requests. */
async function cannon(app: App, options: LoadOptions, length: number | { amount: number }, onLatency?: (ms: number) => void) {
  const cookies = app.cookies;
  let next = Math.floor(Math.random() * cookies.length);
  const instance = autocannon({
    url: `http://127.0.0.1:${app.port}`,
    connections: options.connections,
    ...(typeof length === 'number' ? { duration: length } : { amount: length.amount }),
    // autocannon only stops on a sampling tick (default every 1,000 ms), so a 0.3 s run would
    // last 1 s; a 100 ms tick keeps the runs as long as asked.
    sampleInt: 100,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        method: 'GET',
        path: options.path,
        setupRequest: (request: autocannon.Request) => {
          request.headers = { ...request.headers, cookie: cookies[next++ % cookies.length]! };
          return request;
        },
      },
    ],
  });
  if (onLatency) {
    // Without a callback autocannon returns its instance, which is both an EventEmitter and a promise.
    (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      if (statusCode >= 200 && statusCode < 300) onLatency(ms);
    });
  }
  return (await instance) as autocannon.Result;
}

/**
 * One warm-up (not measured), one measured autocannon run, and a MONITOR pass of
 * `countRequests` requests that counts the commands the store sends.
 */
export async function runLoad(app: App, monitor: Redis | undefined, options: LoadOptions): Promise<LoadResult> {
  if (options.warmup > 0) await cannon(app, options, options.warmup);
  const latencies: number[] = [];
  const before = monitor ? await commandStats(monitor) : {};
  const cpu0 = monitor ? await redisMainThreadCpu(monitor) : NaN;
  const server0 = processCpuSeconds(app.pid);
  const result = await cannon(app, options, options.duration, options.keepLatencies ? (ms) => latencies.push(ms) : undefined);
  const server1 = processCpuSeconds(app.pid);
  const cpu1 = monitor ? await redisMainThreadCpu(monitor) : NaN;
  const after = monitor ? await commandStats(monitor) : {};
  const ok = result['2xx'];
  const seconds = result.duration;
  const executed = countCommands(before, after).executed;
  let failures = result.non2xx + result.errors + result.timeouts;
  const byCommand: Record<string, number> = {};
  let sent = 0;
  if (monitor) {
    let counted = 0;
    const counts = await monitorCommands(monitor, async () => {
      const pass = await cannon(app, { ...options, rate: undefined }, { amount: options.countRequests });
      counted = pass['2xx'];
      failures += pass.non2xx + pass.errors + pass.timeouts;
    });
    for (const [name, calls] of Object.entries(counts)) {
      byCommand[name] = calls / counted;
      sent += calls / counted;
    }
  }
  return {
    requests: ok,
    seconds,
    rps: ok / seconds,
    failures,
    byCommand,
    commandsPerRequest: monitor ? sent : NaN,
    executedPerRequest: ok ? executed / ok : NaN,
    redisCpuUsPerRequest: ok ? ((cpu1 - cpu0) * 1e6) / ok : NaN,
    serverCpuUsPerRequest: ok ? ((server1 - server0) * 1e6) / ok : NaN,
    latency: latencies.length
      ? { p50: percentile(latencies, 50), p99: percentile(latencies, 99), mean: latencies.reduce((a, b) => a + b, 0) / latencies.length }
      : { p50: result.latency.p50, p99: result.latency.p99, mean: result.latency.average },
  };
}
