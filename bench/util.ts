/**
 * Helpers shared by the benchmark sections: Redis INFO, command counts, child processes, and a
 * round-trip counter for ioredis. Percentiles come from hdr-histogram-js (autocannon's own).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { connect } from 'node:net';
import type { Redis } from 'ioredis';

export const benchDir = dirname(fileURLToPath(import.meta.url));
export const rootDir = join(benchDir, '..');
const require = createRequire(import.meta.url);

/** The installed version of a package, read from its package.json. */
export function packageVersion(name: string): string {
  try {
    return (require(join(rootDir, 'node_modules', name, 'package.json')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** The median of a few rounds (NaN-free); round counts are small, so no histogram. */
export function median(values: number[]): number {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  const mid = xs.length >> 1;
  return xs.length === 0 ? NaN : xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Response times recorded in µs in an HDR histogram (3 significant digits), read back in ms. */
export function latencyRecorder(): { record(ms: number): void; percentile(p: number): number } {
  const h = hdr.build({ numberOfSignificantValueDigits: 3 });
  let count = 0;
  return {
    record: (ms) => {
      h.recordValue(Math.max(1, Math.round(ms * 1000)));
      count++;
    },
    percentile: (p) => (count ? h.getValueAtPercentile(p) / 1000 : NaN),
  };
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Redis INFO

/** One INFO section as name -> value. */
export async function info(redis: Redis, section: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const line of (await redis.info(section)).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** CPU seconds of redis-server: every thread (INFO cpu used_cpu_*), or only the main thread that runs commands. */
export async function redisCpu(redis: Redis, mainThread = false): Promise<number> {
  const cpu = await info(redis, 'cpu');
  const suffix = mainThread ? '_main_thread' : '';
  return Number(cpu[`used_cpu_user${suffix}`] ?? NaN) + Number(cpu[`used_cpu_sys${suffix}`] ?? NaN);
}

/** `INFO commandstats` as { command: { calls, usec } } (subcommands such as `config|set` keep their name). */
export type CommandStats = Record<string, { calls: number; usec: number }>;

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const stats: CommandStats = {};
  for (const [key, value] of Object.entries(await info(redis, 'commandstats'))) {
    const match = /^cmdstat_(.+)$/.exec(key);
    const fields = /calls=(\d+),usec=(\d+)/.exec(value);
    if (match && fields) stats[match[1]!] = { calls: Number(fields[1]), usec: Number(fields[2]) };
  }
  return stats;
}

/** Commands our Lua scripts call. Redis 7 counts them in `INFO commandstats` as well as the EVALSHA itself. */
const SCRIPT_INNER_COMMANDS = new Set(
  'time type hmget hget hset hdel set del pexpire pexpireat zadd zrem zrange zremrangebyscore zscore zcard zpopmin exists rename zunionstore get pttl getrange setrange getdel'.split(
    ' ',
  ),
);

/** Commands of the measuring connection itself, never part of a result. */
const HOUSEKEEPING = new Set(
  'info monitor config|set config|get config|resetstat slowlog|get slowlog|reset memory|usage memory|purge flushall dbsize ping client|setname client|setinfo hello select command command|docs echo'.split(
    ' ',
  ),
);

/**
 * The difference between two `INFO commandstats` snapshots: `executed` counts every command,
 * those run inside scripts included; `topLevel` and `usec` (Redis's time in them, a script's
 * inner commands included) count what clients sent: when the window holds EVAL/EVALSHA, the
 * commands our scripts call are attributed to the scripts. Each window holds one store's traffic.
 */
export function commandDelta(before: CommandStats, after: CommandStats): { topLevel: number; executed: number; usec: number } {
  const scripts = (after.evalsha?.calls ?? 0) - (before.evalsha?.calls ?? 0) + (after.eval?.calls ?? 0) - (before.eval?.calls ?? 0);
  let executed = 0;
  let topLevel = 0;
  let usec = 0;
  for (const [name, stat] of Object.entries(after)) {
    const calls = stat.calls - (before[name]?.calls ?? 0);
    if (calls <= 0 || HOUSEKEEPING.has(name)) continue;
    executed += calls;
    if (scripts > 0 && SCRIPT_INNER_COMMANDS.has(name)) continue;
    topLevel += calls;
    usec += stat.usec - (before[name]?.usec ?? 0);
  }
  return { topLevel, executed, usec };
}

/**
 * The commands clients send while `work` runs, by name, seen through MONITOR on a connection of
 * its own. MONITOR shows a Lua script's own commands with the source "lua": they are left out,
 * so what remains is what crossed the network (INFO commandstats counts a script's GET and a
 * client's alike). MONITOR slows Redis, so callers run it in a short pass of its own. A raw
 * socket rather than ioredis's monitor() (or @sessionkit/testing's countCommands, built on it):
 * its startup fails ("Command queue state error") when commands are already flowing, as they
 * are at the end of a run.
 */
export async function monitorCommands(admin: Redis, work: () => Promise<void>): Promise<Record<string, number>> {
  const { host = '127.0.0.1', port = 6379 } = admin.options;
  const socket = connect({ host, port });
  const marker = `bench-monitor-end-${Math.random()}`;
  const counts: Record<string, number> = {};
  let buffered = '';
  let started: () => void = () => {};
  let seenMarker: () => void = () => {};
  const ready = new Promise<void>((resolve) => (started = resolve));
  const ended = new Promise<void>((resolve) => (seenMarker = resolve));
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\r\n'); newline >= 0; newline = buffered.indexOf('\r\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 2);
      if (line === '+OK') started();
      // +1733072000.123456 [0 127.0.0.1:50000] "hmget" "key" ...   (source "lua" inside a script)
      const match = /^\+[\d.]+ \[\d+ ([^\]]+)\] "((?:[^"\\]|\\.)*)"(?: "((?:[^"\\]|\\.)*)")?/.exec(line);
      if (!match) continue;
      const [, source, command, first] = match;
      const name = command!.toLowerCase();
      if (name === 'echo' && first === marker) seenMarker();
      else if (source !== 'lua' && !HOUSEKEEPING.has(name) && name !== 'echo') counts[name] = (counts[name] ?? 0) + 1;
    }
  });
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.write('MONITOR\r\n');
    await ready;
    await work();
    // Everything sent before the marker has been shown once the marker shows.
    await admin.echo(marker);
    await ended;
  } finally {
    socket.destroy();
  }
  return counts;
}

/**
 * A measured window on one app: call it at the start, and the function it returns at the end,
 * for the seconds between, the app's CPU seconds (every thread), Redis's CPU seconds (every
 * thread, or the main thread only) and the commands Redis executed, those inside scripts included.
 */
export async function measureWindow(admin: Redis, app: { cpuSeconds(): Promise<number> }, redisMainThread: boolean) {
  const stats = await commandStats(admin);
  const redis0 = await redisCpu(admin, redisMainThread);
  const app0 = await app.cpuSeconds();
  const t0 = performance.now();
  return async () => {
    const app1 = await app.cpuSeconds();
    const redis1 = await redisCpu(admin, redisMainThread);
    const seconds = (performance.now() - t0) / 1000;
    return { seconds, appCpu: app1 - app0, redisCpu: redis1 - redis0, executed: commandDelta(stats, await commandStats(admin)).executed };
  };
}

/** Commands sent per request, by name and in all, in a MONITOR pass of `pass` (which returns the requests answered). */
export async function sentPerRequest(admin: Redis, pass: () => Promise<number>): Promise<{ byCommand: Record<string, number>; total: number }> {
  let answered = 0;
  const sent = await monitorCommands(admin, async () => {
    answered = await pass();
  });
  const byCommand = Object.fromEntries(Object.entries(sent).map(([name, calls]) => [name, answered ? calls / answered : NaN]));
  return { byCommand, total: answered ? Object.values(byCommand).reduce((a, b) => a + b, 0) : NaN };
}

/**
 * Counts round trips made through an ioredis client: one starts when a command is sent while
 * none is outstanding, so N awaited commands count N and one pipeline counts 1. `stop()` restores the client.
 */
export function countRoundTrips(redis: Redis): { readonly roundTrips: number; stop(): void } {
  const original = redis.sendCommand;
  let outstanding = 0;
  let roundTrips = 0;
  (redis as unknown as { sendCommand: unknown }).sendCommand = function (this: Redis, command: { promise: Promise<unknown> }, ...rest: unknown[]) {
    if (outstanding++ === 0) roundTrips++;
    const done = () => void outstanding--;
    command.promise.then(done, done);
    return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
  };
  return {
    get roundTrips() {
      return roundTrips;
    },
    stop() {
      (redis as unknown as { sendCommand: unknown }).sendCommand = original;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes running TypeScript through tsx

const tsxLoader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
const liveChildren = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
});

export interface Child<M> {
  process: ChildProcess;
  /** The first IPC message the child sent (its "ready" report). */
  ready: Promise<M>;
  stop(): Promise<void>;
}

/**
 * Forks a TypeScript entry of bench/ with tsx, IPC on; `ready` resolves with its first message.
 * The timeout is generous: on a loaded 2-core machine several apps starting at once have taken
 * over 30 s; it only guards against a child that hangs.
 */
export function forkTs<M>(entry: string, args: string[], nodeFlags: string[] = [], timeoutMs = 120_000): Child<M> {
  const child = fork(join(benchDir, entry), args, {
    execArgv: [...nodeFlags, '--import', tsxLoader],
    env: { ...process.env, NODE_ENV: 'production' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const what = `${entry} ${args.join(' ')}`;
  const ready = new Promise<M>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (m: M & { error?: string }) => {
      clearTimeout(timer);
      if (m?.error) reject(new Error(`${what}: ${m.error}`));
      else resolve(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited early (code ${code}, signal ${signal})`));
    });
  });
  ready.catch(() => {});
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  return { process: child, ready, stop };
}

/** Runs `work` on a loop from `concurrency` workers until `durationMs` passed or `maxOps` were started. */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  maxOps: number,
  work: (i: number) => Promise<unknown>,
): Promise<{ ops: number; seconds: number }> {
  let started = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (started < maxOps && performance.now() < t0 + durationMs) await work(started++);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { ops: started, seconds: (performance.now() - t0) / 1000 };
}

/** Runs a command-line tool's main and exits with its outcome (child processes and sockets would otherwise keep it alive). */
export function runMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}

/** The median of every numeric field over a section's rounds: one summary row of the same shape. */
export function medianOf<T extends object>(runs: T[]): T {
  const out = { ...runs[0]! } as Record<string, unknown>;
  for (const [key, value] of Object.entries(out)) if (typeof value === 'number') out[key] = median(runs.map((r) => (r as Record<string, number>)[key]!));
  return out as T;
}
