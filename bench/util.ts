/**
 * Small helpers shared by the benchmark sections: statistics, Redis INFO parsing, child
 * processes, and a round-trip counter for ioredis.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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

// ---------------------------------------------------------------------------------------------
// Statistics

export function median(values: number[]): number {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const mid = Math.floor(xs.length / 2);
  return xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2;
}

/** Nearest-rank percentile (p in 0..100) of raw samples. */
export function percentile(values: number[], p: number): number {
  const xs = [...values].sort((a, b) => a - b);
  if (xs.length === 0) return NaN;
  const rank = Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1));
  return xs[rank]!;
}

export function ratio(a: number, b: number): number {
  return b === 0 ? NaN : a / b;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Redis INFO

/** `INFO commandstats` as { command: { calls, usec } } (subcommands such as `config|set` keep their name). */
export type CommandStats = Record<string, { calls: number; usec: number }>;

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const text = await redis.info('commandstats');
  const stats: CommandStats = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/.exec(line);
    if (match) stats[match[1]!] = { calls: Number(match[2]), usec: Number(match[3]) };
  }
  return stats;
}

/**
 * Commands our Lua scripts call internally. Redis 7 counts commands run by a script in
 * `INFO commandstats` (and in total_commands_processed) as well as the EVALSHA itself.
 */
export const SCRIPT_INNER_COMMANDS = new Set([
  'time',
  'type',
  'hmget',
  'hget',
  'hset',
  'hdel',
  'set',
  'del',
  'pexpire',
  'pexpireat',
  'zadd',
  'zrem',
  'zrange',
  'zremrangebyscore',
  'zscore',
  'zcard',
  'zpopmin',
  'exists',
  'rename',
  'zunionstore',
  'get',
  'pttl',
  'getrange',
  'setrange',
  'getdel',
]);

/** Commands of the measuring connection itself, never part of a result. */
const HOUSEKEEPING = new Set([
  'info',
  'monitor',
  'config|set',
  'config|get',
  'config|resetstat',
  'slowlog|get',
  'slowlog|reset',
  'memory|usage',
  'memory|purge',
  'flushall',
  'dbsize',
  'ping',
  'client|setname',
  'client|setinfo',
  'hello',
  'select',
  'command',
  'command|docs',
]);

export interface CommandCount {
  /** Commands clients sent: EVALSHA/EVAL plus every plain command (see `countCommands`). */
  topLevel: number;
  /** Every command Redis executed, those run inside scripts included. */
  executed: number;
  /** Top-level calls by command name. */
  byCommand: Record<string, number>;
  /**
   * Microseconds Redis spent executing the top-level commands (an EVALSHA's time includes the
   * commands its script ran), i.e. the time Redis's single thread was busy for this traffic.
   */
  usec: number;
}

/**
 * The difference between two `INFO commandstats` snapshots. How top-level commands are counted:
 * when the window contains no EVAL/EVALSHA, every command is top-level (connect-redis sends
 * plain GET/SET/EXPIRE). When it does, the commands our scripts call internally (the list
 * above) are attributed to the scripts and only EVAL/EVALSHA plus any other command count.
 * Each window holds the traffic of one store only, so the two cases never mix.
 */
export function countCommands(before: CommandStats, after: CommandStats): CommandCount {
  const delta: Record<string, { calls: number; usec: number }> = {};
  for (const [name, stat] of Object.entries(after)) {
    const calls = stat.calls - (before[name]?.calls ?? 0);
    const usec = stat.usec - (before[name]?.usec ?? 0);
    if (calls > 0 && !HOUSEKEEPING.has(name)) delta[name] = { calls, usec };
  }
  const scripts = (delta.evalsha?.calls ?? 0) + (delta.eval?.calls ?? 0);
  const byCommand: Record<string, number> = {};
  let executed = 0;
  let topLevel = 0;
  let usec = 0;
  for (const [name, d] of Object.entries(delta)) {
    executed += d.calls;
    if (scripts > 0 && SCRIPT_INNER_COMMANDS.has(name)) continue;
    byCommand[name] = d.calls;
    topLevel += d.calls;
    usec += d.usec;
  }
  return { topLevel, executed, byCommand, usec };
}

/**
 * CPU seconds (user + system) a process has used, from /proc/<pid>/stat; NaN where there is no
 * /proc (the column then reads n/a). Clock ticks are 100 per second on Linux.
 */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** CPU seconds used by Redis's main thread (the one that runs commands), from INFO cpu. */
export async function redisMainThreadCpu(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const user = /used_cpu_user_main_thread:([\d.]+)/.exec(text)?.[1];
  const sys = /used_cpu_sys_main_thread:([\d.]+)/.exec(text)?.[1];
  return Number(user ?? NaN) + Number(sys ?? NaN);
}

/** CPU seconds the whole redis-server process has used (INFO cpu used_cpu_user + used_cpu_sys: every thread). */
export async function redisProcessCpu(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const user = /used_cpu_user:([\d.]+)/.exec(text)?.[1];
  const sys = /used_cpu_sys:([\d.]+)/.exec(text)?.[1];
  return Number(user ?? NaN) + Number(sys ?? NaN);
}

export async function usedMemory(redis: Redis): Promise<number> {
  const text = await redis.info('memory');
  const match = /used_memory:(\d+)/.exec(text);
  return match ? Number(match[1]) : NaN;
}

export async function redisVersion(redis: Redis): Promise<string> {
  const text = await redis.info('server');
  return /redis_version:([^\r\n]+)/.exec(text)?.[1] ?? 'unknown';
}

// ---------------------------------------------------------------------------------------------
// Commands as clients sent them (MONITOR)

/**
 * The commands clients send while `work` runs, by name, seen through MONITOR on a connection of
 * its own. MONITOR shows a Lua script's own commands with the source "lua": they are left out,
 * so what remains is what crossed the network. (INFO commandstats cannot tell: it counts a
 * script's HMGET and a client's HMGET alike.) MONITOR slows Redis down, so callers run it in a
 * short pass of its own, never during a timed run.
 */
export async function monitorCommands(admin: Redis, work: () => Promise<void>): Promise<Record<string, number>> {
  // A raw socket rather than ioredis's monitor(): its startup fails ("Command queue state error")
  // when commands are already flowing, as they are at the end of a run.
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

// ---------------------------------------------------------------------------------------------
// Round trips seen by one ioredis client

/**
 * Counts round trips made through an ioredis client: a round trip starts when a command is sent
 * while none is outstanding, and lasts until every outstanding reply has arrived. For one caller
 * at a time this is the number of network waits: N awaited commands count N, one pipeline of N
 * commands counts 1. `stop()` restores the client.
 */
export function countRoundTrips(redis: Redis): { readonly roundTrips: number; readonly commands: number; stop(): void } {
  const original = redis.sendCommand;
  let outstanding = 0;
  let roundTrips = 0;
  let commands = 0;
  const patched = function (this: Redis, command: { promise: Promise<unknown> }, ...rest: unknown[]) {
    if (outstanding === 0) roundTrips++;
    outstanding++;
    commands++;
    const done = () => {
      outstanding--;
    };
    command.promise.then(done, done);
    return (original as (...args: unknown[]) => unknown).call(this, command, ...rest);
  };
  (redis as unknown as { sendCommand: unknown }).sendCommand = patched;
  return {
    get roundTrips() {
      return roundTrips;
    },
    get commands() {
      return commands;
    },
    stop() {
      (redis as unknown as { sendCommand: unknown }).sendCommand = original;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes running TypeScript through tsx

const tsxLoader = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;

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
export function forkTs<M>(entry: string, args: string[], env: Record<string, string> = {}, timeoutMs = 120_000, nodeFlags: string[] = []): Child<M> {
  const child = fork(join(benchDir, entry), args, {
    execArgv: [...nodeFlags, '--import', tsxLoader],
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = new Promise<M>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} ${args.join(' ')} not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      const m = message as M & { error?: string };
      if (m && typeof m === 'object' && m.error) reject(new Error(`${entry} ${args.join(' ')}: ${m.error}`));
      else resolve(m);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${entry} ${args.join(' ')} exited early (code ${code}, signal ${signal})`));
    });
  });
  ready.catch(() => {});
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  installExitHook();
  return { process: child, ready, stop };
}

const liveChildren = new Set<ChildProcess>();
let hooked = false;
function installExitHook(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', () => {
    for (const child of liveChildren) child.kill('SIGKILL');
  });
}

/** Runs `work` on a loop from `concurrency` workers until `durationMs` passed or `maxOps` were done. */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  maxOps: number,
  work: (i: number) => Promise<unknown>,
): Promise<{ ops: number; seconds: number }> {
  let started = 0;
  const t0 = performance.now();
  const deadline = t0 + durationMs;
  const worker = async () => {
    while (started < maxOps && performance.now() < deadline) {
      await work(started++);
    }
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
