/**
 * Soak test: a long mixed load against the example app(s) on a real, persistent redis-server,
 * with Redis restarted in the middle. Not part of `npm test`; see docs/reliability.md.
 *
 *   npx tsx --tsconfig scripts/soak/tsconfig.json scripts/soak/run.ts
 *
 * Environment (all optional):
 *   SOAK_SECONDS        total run time, default 600
 *   SOAK_CONCURRENCY    concurrent requests (workers), default 16
 *   SOAK_RESTARTS       Redis restarts, evenly spaced, default 2
 *   SOAK_SIGNALS        signal per restart, cycled: default "SIGTERM,SIGKILL" (a clean stop, then a crash)
 *   SOAK_DOWN_SECONDS   how long Redis stays down per restart, default 3
 *   SOAK_APP            express | fastify | both, default express
 *   SOAK_FSYNC          appendfsync: always | everysec | no, default always
 *   SOAK_STABLE         "stable" browsers (signed in as bob, only read; nobody revokes them), default 64
 *   SOAK_CHURN          "churn" browsers (alice: sign in/out, list, revoke, sign out others/everywhere), default 48
 *   SOAK_MAX_REQUESTS   hard cap on requests, default 20 000 000
 *   SOAK_OUT            JSON summary path, default .tmp/soak/soak-<app>-<timestamp>.json
 *
 * What it checks, beside counting requests, statuses and latency:
 *   - sessions lost: a stable browser (never revoked by anyone) found signed out, during the run or
 *     in the sweep after each restart and at the end. Persistence is on, so this must be 0.
 *   - unexpected sign-outs of churn browsers: signed out while no revocation of that user started
 *     since their sign-in. Must be 0.
 *   - wrong user: a page greeting someone other than the browser's user. Must be 0.
 *   - errors outside Redis outages, unhandled rejections, uncaught exceptions. Must be 0.
 *   - memory: process RSS / heap and Redis used_memory at start and end, sampled every 30 s.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { dirname, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer, redisServerVersion, resolveRedisServer } from '@sessionkit/testing';
import { redisClientOptions } from '@sessionkit/example-shared';
import { createApp } from '../../examples/express-app/src/app.js';
import { buildApp } from '../../examples/fastify-app/src/app.js';

// ---------------------------------------------------------------- configuration

const env = process.env;
const num = (name: string, fallback: number) => {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${value}`);
  return n;
};
const config = {
  seconds: num('SOAK_SECONDS', 600),
  concurrency: Math.max(1, Math.floor(num('SOAK_CONCURRENCY', 16))),
  restarts: Math.floor(num('SOAK_RESTARTS', 2)),
  signals: (env.SOAK_SIGNALS || 'SIGTERM,SIGKILL').split(',').map((s) => s.trim()) as NodeJS.Signals[],
  downSeconds: num('SOAK_DOWN_SECONDS', 3),
  app: (env.SOAK_APP || 'express') as 'express' | 'fastify' | 'both',
  fsync: env.SOAK_FSYNC || 'always',
  stable: Math.max(1, Math.floor(num('SOAK_STABLE', 64))),
  churn: Math.max(1, Math.floor(num('SOAK_CHURN', 48))),
  maxRequests: Math.floor(num('SOAK_MAX_REQUESTS', 20_000_000)),
  requestTimeoutMs: 10_000,
};
if (!['express', 'fastify', 'both'].includes(config.app)) throw new Error(`SOAK_APP must be express, fastify or both, got ${config.app}`);
if (config.stable + config.churn < config.concurrency + 4)
  throw new Error('SOAK_STABLE + SOAK_CHURN must exceed SOAK_CONCURRENCY by a few (one request per browser at a time)');
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const outFile = resolve(env.SOAK_OUT || `.tmp/soak/soak-${config.app}-${stamp}.json`);
const SECRET = 'soak secret: at least 32 characters, shared by every instance';

// ---------------------------------------------------------------- process-level failures

const processFailures = { unhandledRejections: 0, uncaughtExceptions: 0, samples: [] as string[] };
process.on('unhandledRejection', (reason) => {
  processFailures.unhandledRejections++;
  if (processFailures.samples.length < 10) processFailures.samples.push(`unhandledRejection: ${String((reason as Error)?.stack ?? reason)}`);
});
process.on('uncaughtException', (error) => {
  processFailures.uncaughtExceptions++;
  if (processFailures.samples.length < 10) processFailures.samples.push(`uncaughtException: ${error.stack ?? error}`);
});

// The apps log Redis failures (one line per failed request while Redis is down): count them
// instead of printing thousands of lines.
const appLog = { errorLines: 0, samples: [] as string[] };
const originalError = console.error.bind(console);
console.error = (...args: unknown[]) => {
  appLog.errorLines++;
  if (appLog.samples.length < 5)
    appLog.samples.push(
      args
        .map((a) => (a instanceof Error ? a.message : String(a)))
        .join(' ')
        .slice(0, 300),
    );
};

const log = (line: string) => console.log(`[soak ${((Date.now() - t0) / 1000).toFixed(0).padStart(5)} s] ${line}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let t0 = Date.now();

// ---------------------------------------------------------------- statistics

class Histogram {
  private readonly counts = new Uint32Array(10_002); // 1 ms buckets up to 10 s, then overflow
  n = 0;
  max = 0;
  add(ms: number): void {
    this.n++;
    if (ms > this.max) this.max = ms;
    this.counts[Math.min(Math.floor(ms), 10_001)]!++;
  }
  quantile(q: number): number {
    if (this.n === 0) return 0;
    let target = Math.ceil(q * this.n);
    for (let i = 0; i < this.counts.length; i++) {
      target -= this.counts[i]!;
      if (target <= 0) return i;
    }
    return this.max;
  }
  summary() {
    return { count: this.n, p50: this.quantile(0.5), p90: this.quantile(0.9), p99: this.quantile(0.99), p999: this.quantile(0.999), max: Math.round(this.max) };
  }
}

const stats = {
  requests: 0,
  byOp: {} as Record<string, number>,
  byStatus: {} as Record<string, number>,
  errors: { total: 0, byKind: {} as Record<string, number>, duringOutage: 0, outsideOutage: 0, outsideSamples: [] as string[], duringSamples: [] as string[] },
  latency: new Histogram(),
  latencySteady: new Histogram(),
  wrongUser: 0,
  stableLostLive: 0,
  churnUnexpectedSignOuts: 0,
  churnSignOutsExpected: 0,
  logins: 0,
  loginsRejected: 0,
};
const inc = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

/** Redis is considered "in an outage" from the stop until the app answered a read again (+1 s). */
let outage = false;
let outageEndsAt = 0;
const inOutage = () => outage || Date.now() < outageEndsAt;

// ---------------------------------------------------------------- browsers

type Target = { name: string; url: string; close(): Promise<void> };

interface Reply {
  status: number;
  location: string | null;
  text: string;
}

class Browser {
  readonly cookies = new Map<string, string>();
  busy = false;
  /** true: should be signed in; false: signed out; undefined: unknown (a request failed half-way). */
  signedIn: boolean | undefined = false;
  /** Churn browsers: the user's revocation counter when this browser's sign-in began. */
  epoch = 0;
  ambiguous = false;

  constructor(
    readonly target: Target,
    readonly username: 'alice' | 'bob',
    readonly name: string,
    readonly kind: 'stable' | 'churn',
  ) {}

  async request(op: string, method: 'GET' | 'POST', path: string, form?: Record<string, string>): Promise<Reply | null> {
    if (stats.requests >= config.maxRequests) return null;
    stats.requests++;
    inc(stats.byOp, op);
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const started = performance.now();
    const during = inOutage();
    try {
      const res = await fetch(this.target.url + path, {
        method,
        redirect: 'manual',
        headers: {
          'user-agent': `soak/${this.kind}`,
          ...(cookie ? { cookie } : {}),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: form ? new URLSearchParams(form).toString() : undefined,
        signal: AbortSignal.timeout(config.requestTimeoutMs),
      });
      for (const line of res.headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(';');
        const eq = pair!.indexOf('=');
        const name = pair!.slice(0, eq).trim();
        const value = pair!.slice(eq + 1).trim();
        const expired = attrs.some((a) => /^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) <= Date.now());
        if (expired || !value) this.cookies.delete(name);
        else this.cookies.set(name, value);
      }
      const text = await res.text();
      const ms = performance.now() - started;
      stats.latency.add(ms);
      if (!during && !inOutage()) stats.latencySteady.add(ms);
      inc(stats.byStatus, String(res.status));
      if (res.status >= 500) this.error(String(res.status), during, `${op} ${method} ${path} -> ${res.status}`);
      return { status: res.status, location: res.headers.get('location'), text };
    } catch (error) {
      const name = (error as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      const cause = (error as Error).cause as Error | undefined;
      if (cause?.message) (error as Error).message += ` (${cause.message})`;
      inc(stats.byStatus, name);
      this.error(name, during, `${op} ${method} ${path}: ${(error as Error).message}`);
      return null;
    }
  }

  private error(kind: string, during: boolean, detail: string): void {
    stats.errors.total++;
    inc(stats.errors.byKind, kind);
    if (during || inOutage()) {
      stats.errors.duringOutage++;
      if (kind !== '503' && stats.errors.duringSamples.length < 20)
        stats.errors.duringSamples.push(`${new Date().toISOString()} ${this.target.name} ${detail}`);
    } else {
      stats.errors.outsideOutage++;
      if (stats.errors.outsideSamples.length < 20) stats.errors.outsideSamples.push(`${new Date().toISOString()} ${this.target.name} ${detail}`);
    }
  }

  /** The greeting on the home page: the user's name, null when sent to sign in, undefined on failure. */
  async whoAmI(op = 'read'): Promise<string | null | undefined> {
    const res = await this.request(op, 'GET', '/');
    if (!res) return undefined;
    if (res.status === 303) return null;
    if (res.status !== 200) return undefined;
    return /data-testid="greeting">Hello, ([^<]+)</.exec(res.text)?.[1] ?? '(no greeting)';
  }

  async signIn(): Promise<boolean> {
    this.epoch = revocations[this.username].started;
    this.ambiguous = revocations[this.username].inFlight > 0;
    stats.logins++;
    const res = await this.request('login', 'POST', '/login', { username: this.username, password: 'password' });
    if (res?.status === 303 && res.location === '/') {
      this.signedIn = true;
      return true;
    }
    stats.loginsRejected++;
    this.signedIn = undefined; // the old session may be gone and the new one not saved
    return false;
  }
}

const fullName = { alice: 'Alice Liddell', bob: 'Bob Marley' } as const;
/** Revocations of a user's sessions (revoke, sign out others/everywhere): started and in flight. */
const revocations = { alice: { started: 0, inFlight: 0 }, bob: { started: 0, inFlight: 0 } };

/** Reads the home page and checks who it greets against what the browser expects. */
async function checkRead(b: Browser, op = 'read'): Promise<'ok' | 'signed-out' | 'failed'> {
  const who = await b.whoAmI(op);
  if (who === undefined) return 'failed';
  if (who !== null) {
    if (who !== fullName[b.username]) {
      stats.wrongUser++;
      log(`WRONG USER: ${b.name} (${b.username}) was greeted as ${who}`);
    }
    b.signedIn = true;
    return 'ok';
  }
  if (b.signedIn === true) {
    if (b.kind === 'stable') {
      stats.stableLostLive++;
      log(`stable session lost: ${b.name} was signed out`);
    } else if (!b.ambiguous && revocations[b.username].started === b.epoch) {
      stats.churnUnexpectedSignOuts++;
      log(`unexpected sign-out: ${b.name} (no revocation of ${b.username} since its sign-in)`);
    } else {
      stats.churnSignOutsExpected++;
    }
  }
  b.signedIn = false;
  return 'signed-out';
}

async function revoking<T>(user: 'alice' | 'bob', work: () => Promise<T>): Promise<T> {
  revocations[user].started++;
  revocations[user].inFlight++;
  try {
    return await work();
  } finally {
    revocations[user].inFlight--;
  }
}

const handles = (html: string) =>
  [...html.matchAll(/<tr class="[^"]*" data-session="([0-9a-f]+)"( data-current="true")?>/g)].map((m) => ({ handle: m[1]!, current: Boolean(m[2]) }));

// ---------------------------------------------------------------- operations

type Op = { name: string; weight: number; pool: 'stable' | 'churn'; run(b: Browser): Promise<unknown> };

const ops: Op[] = [
  { name: 'read', weight: 40, pool: 'stable', run: async (b) => ((await checkRead(b)) === 'signed-out' ? b.signIn() : undefined) },
  { name: 'read', weight: 14, pool: 'churn', run: async (b) => ((await checkRead(b)) === 'signed-out' ? b.signIn() : undefined) },
  { name: 'list', weight: 8, pool: 'churn', run: (b) => b.request('list', 'GET', '/sessions') },
  { name: 'login', weight: 12, pool: 'churn', run: (b) => b.signIn() },
  {
    name: 'logout',
    weight: 6,
    pool: 'churn',
    run: async (b) => {
      const res = await b.request('logout', 'POST', '/logout');
      b.signedIn = res?.status === 303 ? false : undefined;
    },
  },
  {
    name: 'revoke',
    weight: 8,
    pool: 'churn',
    run: async (b) => {
      if (b.signedIn !== true) return b.signIn();
      const page = await b.request('list', 'GET', '/sessions');
      const other = page?.status === 200 ? handles(page.text).find((h) => !h.current) : undefined;
      if (!other) return;
      await revoking(b.username, () => b.request('revoke', 'POST', '/sessions/revoke', { session: other.handle }));
    },
  },
  {
    name: 'sign-out-others',
    weight: 4,
    pool: 'churn',
    run: async (b) => {
      if (b.signedIn !== true) return b.signIn();
      await revoking(b.username, () => b.request('sign-out-others', 'POST', '/sessions/sign-out-others'));
    },
  },
  {
    name: 'sign-out-everywhere',
    weight: 2,
    pool: 'churn',
    run: async (b) => {
      if (b.signedIn !== true) return b.signIn();
      const res = await revoking(b.username, () => b.request('sign-out-everywhere', 'POST', '/sessions/sign-out-everywhere'));
      b.signedIn = res?.status === 303 ? false : undefined;
    },
  },
];
const totalWeight = ops.reduce((sum, op) => sum + op.weight, 0);
function pickOp(): Op {
  let r = Math.random() * totalWeight;
  for (const op of ops) {
    r -= op.weight;
    if (r < 0) return op;
  }
  return ops[0]!;
}

// ---------------------------------------------------------------- setup

async function startTargets(client: Redis): Promise<Target[]> {
  const targets: Target[] = [];
  if (config.app === 'express' || config.app === 'both') {
    const server: Server = createServer(createApp({ client, secret: SECRET }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    targets.push({
      name: 'express',
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () =>
        new Promise<void>((r) => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    });
  }
  if (config.app === 'fastify' || config.app === 'both') {
    const app = await buildApp({ client, secret: SECRET });
    await app.listen({ port: 0, host: '127.0.0.1' });
    targets.push({ name: 'fastify', url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() });
  }
  return targets;
}

const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
function processMemory() {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rssMB: mb(m.rss), heapUsedMB: mb(m.heapUsed), heapTotalMB: mb(m.heapTotal), externalMB: mb(m.external) };
}
async function redisMemory(admin: Redis) {
  try {
    const info = await admin.info('memory');
    const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? NaN);
    return { usedMemoryMB: mb(used), keys: await admin.dbsize() };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const binary = await resolveRedisServer();
  const redis = new RedisServer({ args: ['--appendonly', 'yes', '--appendfsync', config.fsync] });
  await redis.start();
  t0 = Date.now();
  const client = new Redis({ ...redisClientOptions, host: redis.host, port: redis.port });
  client.on('error', () => {}); // reconnect errors are expected while Redis is down; requests report them
  const admin = new Redis({ host: redis.host, port: redis.port, maxRetriesPerRequest: 1, commandTimeout: 5000 });
  admin.on('error', () => {});
  await Promise.all([client.ping(), admin.ping()]);
  const targets = await startTargets(client);
  log(
    `redis-server ${redisServerVersion(binary)} on ${redis.url} (appendonly yes, appendfsync ${config.fsync}); apps: ${targets.map((t) => `${t.name} ${t.url}`).join(', ')}`,
  );
  log(`config: ${JSON.stringify(config)}`);

  const stable = Array.from({ length: config.stable }, (_, i) => new Browser(targets[i % targets.length]!, 'bob', `stable-${i}`, 'stable'));
  const churn = Array.from({ length: config.churn }, (_, i) => new Browser(targets[i % targets.length]!, 'alice', `churn-${i}`, 'churn'));
  for (const b of [...stable, ...churn]) {
    if (!(await b.signIn())) throw new Error(`initial sign-in of ${b.name} failed`);
  }
  stats.logins = 0; // count only the run's own sign-ins
  const memoryStart = { process: processMemory(), redis: await redisMemory(admin) };
  const memorySamples: Record<string, unknown>[] = [{ t: 0, ...memoryStart.process, redisMB: (memoryStart.redis as { usedMemoryMB?: number }).usedMemoryMB }];
  log(`signed in ${stable.length} stable and ${churn.length} churn browsers; memory ${JSON.stringify(memoryStart)}`);

  const started = Date.now();
  const deadline = started + config.seconds * 1000;
  let paused = false;
  let pauseWaiters: (() => void)[] = [];
  let active = 0;

  // Workers: each takes a free browser of the pool the operation needs, one request chain at a time.
  const take = (pool: Browser[]): Browser | undefined => {
    for (let tries = 0; tries < 8; tries++) {
      const b = pool[Math.floor(Math.random() * pool.length)]!;
      if (!b.busy) return b;
    }
    return pool.find((b) => !b.busy);
  };
  async function worker(): Promise<void> {
    while (Date.now() < deadline && stats.requests < config.maxRequests) {
      if (paused) {
        await new Promise<void>((r) => pauseWaiters.push(r));
        continue;
      }
      const op = pickOp();
      const b = take(op.pool === 'stable' ? stable : churn);
      if (!b) continue;
      b.busy = true;
      active++;
      try {
        await op.run(b);
      } catch (error) {
        processFailures.samples.length < 10 && processFailures.samples.push(`worker: ${(error as Error).stack}`);
      } finally {
        b.busy = false;
        active--;
      }
    }
  }

  /** Stops the workers between requests, for a consistent sweep. */
  async function pauseWorkers(): Promise<void> {
    paused = true;
    while (active > 0) await sleep(5);
  }
  function resumeWorkers(): void {
    paused = false;
    const waiters = pauseWaiters;
    pauseWaiters = [];
    for (const w of waiters) w();
  }

  /** Every stable browser must still be signed in as bob. Returns how many were not. */
  async function sweep(label: string): Promise<{ checked: number; lost: number; failed: number }> {
    await pauseWorkers();
    let lost = 0;
    let failed = 0;
    for (const b of stable) {
      const before = stats.stableLostLive;
      const result = await checkRead(b, 'sweep');
      if (result === 'failed') failed++;
      if (stats.stableLostLive > before) {
        stats.stableLostLive = before; // counted here instead
        lost++;
        await b.signIn();
      }
    }
    resumeWorkers();
    log(`sweep ${label}: ${stable.length} stable sessions checked, ${lost} lost, ${failed} failed requests`);
    return { checked: stable.length, lost, failed };
  }

  const restarts: Record<string, unknown>[] = [];
  async function restartRedis(i: number): Promise<void> {
    const signal = config.signals[i % config.signals.length] ?? 'SIGTERM';
    const errorsBefore = stats.errors.total;
    const requestsBefore = stats.requests;
    const at = Math.round((Date.now() - started) / 1000);
    const keysBefore = await admin.dbsize().catch(() => -1);
    outage = true;
    log(`restart ${i + 1}: stopping Redis with ${signal} (${keysBefore} keys)`);
    const stopAt = Date.now();
    await redis.stop(signal);
    await sleep(config.downSeconds * 1000);
    await redis.start();
    const upAt = Date.now();
    // Recovered when the app serves a stable browser's page again (bounded wait).
    let recoveredAt = 0;
    const probe = stable.find((b) => !b.busy) ?? stable[0]!;
    for (let tries = 0; tries < 600 && !recoveredAt; tries++) {
      const res = await fetch(`${probe.target.url}/health`)
        .then((r) => r.json() as Promise<{ redis: string }>)
        .catch(() => null);
      if (res?.redis === 'ready') {
        const page = await fetch(`${probe.target.url}/`, {
          headers: { cookie: [...probe.cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
          redirect: 'manual',
        }).catch(() => null);
        if (page && page.status !== 503 && page.status !== 500) recoveredAt = Date.now();
      }
      if (!recoveredAt) await sleep(50);
    }
    outage = false;
    outageEndsAt = Date.now() + 1000;
    const keysAfter = await admin.dbsize().catch(() => -1);
    const check = await sweep(`after restart ${i + 1}`);
    const record = {
      atSecond: at,
      signal,
      downMs: upAt - stopAt,
      recoveryMsAfterStart: recoveredAt ? recoveredAt - upAt : null,
      keysBefore,
      keysAfter,
      requestsDuringOutage: stats.requests - requestsBefore,
      errorsDuringOutage: stats.errors.total - errorsBefore,
      stableChecked: check.checked,
      stableLost: check.lost,
    };
    restarts.push(record);
    log(`restart ${i + 1}: ${JSON.stringify(record)}`);
  }

  let lastReport = { t: Date.now(), requests: 0 };
  const reporter = setInterval(() => {
    const now = Date.now();
    const rate = ((stats.requests - lastReport.requests) * 1000) / (now - lastReport.t);
    lastReport = { t: now, requests: stats.requests };
    const mem = processMemory();
    memorySamples.push({ t: Math.round((now - started) / 1000), ...mem });
    log(
      `${stats.requests} requests (${rate.toFixed(0)}/s), errors ${stats.errors.total} (outside outages ${stats.errors.outsideOutage}), lost ${stats.stableLostLive}, wrong user ${stats.wrongUser}, rss ${mem.rssMB} MB, heap ${mem.heapUsedMB} MB`,
    );
  }, 30_000);

  const workers = Array.from({ length: config.concurrency }, () => worker());
  for (let i = 0; i < config.restarts; i++) {
    const at = started + ((i + 1) * config.seconds * 1000) / (config.restarts + 1);
    while (Date.now() < at) await sleep(Math.min(1000, at - Date.now()));
    await restartRedis(i);
  }
  await Promise.all(workers);
  clearInterval(reporter);
  const elapsed = (Date.now() - started) / 1000;
  const finalSweep = await sweep('final');
  resumeWorkers();

  const memoryEnd = { process: processMemory(), redis: await redisMemory(admin) };
  const sessionsLost = stats.stableLostLive + finalSweep.lost + restarts.reduce((n, r) => n + Number(r.stableLost), 0);
  const summary = {
    command: 'npx tsx --tsconfig scripts/soak/tsconfig.json scripts/soak/run.ts',
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    seconds: Math.round(elapsed),
    config,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: Math.round(os.totalmem() / 1073741824),
      platform: `${os.platform()} ${os.release()}`,
      node: process.version,
      redis: redisServerVersion(binary),
    },
    requests: {
      total: stats.requests,
      perSecond: Math.round(stats.requests / elapsed),
      byOp: stats.byOp,
      byStatus: stats.byStatus,
      logins: stats.logins,
      loginsFailed: stats.loginsRejected,
    },
    errors: stats.errors,
    latencyMs: { all: stats.latency.summary(), outsideOutages: stats.latencySteady.summary() },
    restarts,
    sessions: {
      stableTracked: stable.length,
      lost: sessionsLost,
      churnUnexpectedSignOuts: stats.churnUnexpectedSignOuts,
      churnSignOutsByRevocation: stats.churnSignOutsExpected,
      wrongUser: stats.wrongUser,
      finalSweep,
    },
    memory: { start: memoryStart, end: memoryEnd, samples: memorySamples, gcBeforeSamples: typeof (globalThis as { gc?: unknown }).gc === 'function' },
    appErrorLogLines: appLog.errorLines,
    appErrorLogSamples: appLog.samples,
    process: processFailures,
  };
  const pass =
    sessionsLost === 0 &&
    stats.wrongUser === 0 &&
    stats.churnUnexpectedSignOuts === 0 &&
    stats.errors.outsideOutage === 0 &&
    processFailures.unhandledRejections === 0 &&
    processFailures.uncaughtExceptions === 0;
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ pass, ...summary }, null, 2)}\n`);
  log(
    `${pass ? 'PASS' : 'FAIL'}: ${stats.requests} requests in ${elapsed.toFixed(0)} s, ${stats.errors.total} errors (${stats.errors.outsideOutage} outside outages), ${sessionsLost} sessions lost, ${stats.wrongUser} wrong-user pages`,
  );
  log(`summary written to ${outFile}`);

  for (const t of targets) await t.close();
  client.disconnect();
  admin.disconnect();
  await redis.dispose();
  console.error = originalError;
  process.exitCode = pass ? 0 : 1;
}

main().catch((error) => {
  originalError(error);
  process.exit(2);
});
