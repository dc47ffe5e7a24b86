/**
 * Comparison 4: logout-everywhere for one user with N sessions.
 *
 * - @sessionkit: `invalidateAllUserSessions(user)` (index moved aside atomically, sessions
 *   revoked by Lua scripts in chunks of `revokeChunkSize`, each one a tombstone).
 * - naive: what a hand-rolled version does with connect-redis-style string sessions and a SET
 *   of ids per user: SMEMBERS, then for each id GET (check the owner) and DEL, awaited one by
 *   one, then DEL the set. 2N + 2 round trips.
 * - naive, pipelined: the same commands, 1,000 GETs per pipeline then the matching DELs.
 *
 * Round trips are counted on the ioredis client (see countRoundTrips), commands with INFO
 * commandstats, and the longest single command Redis executed with SLOWLOG (threshold 20 µs:
 * Redis 7 also logs the commands a script runs, so threshold 0 would flood the log; entries of
 * commands run inside a script, client "?:0", are left out: the EVALSHA that ran them is logged
 * with their time included).
 */
import { Redis } from 'ioredis';
import { SessionStore } from '@sessionkit/core';
import type { BenchConfig } from './config.js';
import { DAY_MS, loginSession, sessionId } from './session-data.js';
import { closedLoop, commandDelta, commandStats, countRoundTrips, median, medianOf, redisCpu } from './util.js';

export type LogoutMethod = 'sessionkit' | 'naive' | 'naive-pipelined';

/**
 * One logout. Times in ms: `longestCommandMs` is the longest single command Redis executed during
 * the call (0 when none reached 20 µs) and `medianCommandMs` the median of the logged top-level
 * commands, both wall time (SLOWLOG); `redisCpuMs` is the CPU time of Redis's main thread (immune
 * to the OS pausing Redis).
 */
export interface LogoutRun {
  method: LogoutMethod;
  sessions: number;
  chunkSize?: number;
  ms: number;
  roundTrips: number;
  commands: number;
  longestCommandMs: number;
  longestCommand: string;
  medianCommandMs: number;
  redisCpuMs: number;
  revoked: number;
}

/** The median of one method's runs at one size (the longest command: the longest of all). */
export type LogoutRow = LogoutRun & { reps: number };

/**
 * `chunks`: the revokeChunkSize sweep at the largest size. `unlinkFloorMs`: the lower bound,
 * UNLINK of the same number of keys, 1,000 per command in one pipeline (median of
 * `unlinkFloorReps`). `atChunkSize`: SessionKit's logout of exactly `defaultChunkSize`
 * sessions, the largest that should take one round trip.
 */
export interface LogoutResult {
  rows: LogoutRow[];
  chunks: LogoutRow[];
  defaultChunkSize: number;
  unlinkFloorMs?: number;
  unlinkFloorSessions?: number;
  unlinkFloorReps?: number;
  atChunkSize?: LogoutRow;
}

const USER = 'victim';
const SLOW_US = 20;

async function slowlog(admin: Redis): Promise<{ ms: number; command: string; medianMs: number }> {
  const entries = (await admin.call('SLOWLOG', 'GET', '100000')) as [number, number, number, string[], string, string][];
  let best = { ms: 0, command: '' };
  const all: number[] = [];
  for (const [, , micros, args, client] of entries) {
    if (client === '?:0') continue; // run inside a script; the script's own entry covers it
    const name = String(args[0] ?? '').toLowerCase();
    if (name === 'slowlog' || name === 'config' || name === 'info') continue;
    all.push(micros / 1000);
    if (micros / 1000 > best.ms) best = { ms: micros / 1000, command: name };
  }
  return { ...best, medianMs: all.length ? median(all) : 0 };
}

/** Runs `work` with round trips, commands and the slowest command recorded. */
async function measure(admin: Redis, client: Redis, work: () => Promise<number>): Promise<Omit<LogoutRun, 'method' | 'sessions' | 'chunkSize'>> {
  await admin.call('SLOWLOG', 'RESET');
  const before = await commandStats(admin);
  const cpu0 = await redisCpu(admin, true);
  const trips = countRoundTrips(client);
  const t0 = performance.now();
  let revoked: number;
  try {
    revoked = await work();
  } finally {
    trips.stop();
  }
  const ms = performance.now() - t0;
  const cpu1 = await redisCpu(admin, true);
  const after = await commandStats(admin);
  const slow = await slowlog(admin);
  return {
    ms,
    roundTrips: trips.roundTrips,
    commands: commandDelta(before, after).topLevel,
    longestCommandMs: slow.ms,
    longestCommand: slow.command,
    medianCommandMs: slow.medianMs,
    redisCpuMs: (cpu1 - cpu0) * 1000,
    revoked,
  };
}

/** `chunkSize` omitted: the store's default revokeChunkSize. */
export async function runSessionKit(redisUrl: string, admin: Redis, n: number, chunkSize?: number): Promise<LogoutRun> {
  const client = new Redis(redisUrl);
  const store = new SessionStore({ client, prefix: 'lo-sk:', ttl: DAY_MS, ...(chunkSize ? { revokeChunkSize: chunkSize } : {}) });
  chunkSize = store.options.revokeChunkSize;
  try {
    await admin.flushall();
    // Warm up: a logout of chunk + 1 sessions loads both scripts on this connection (ioredis
    // sends a script's first call as EVAL, later ones as EVALSHA), as in a running app.
    await closedLoop(64, 600_000, chunkSize + 1, (i) => store.set(sessionId(), loginSession(i), { userId: 'warm-up' }));
    await store.invalidateAllUserSessions('warm-up');
    const ids = Array.from({ length: n }, () => sessionId());
    await closedLoop(256, 600_000, n, (i) => store.set(ids[i]!, loginSession(i), { userId: USER }));
    const probe = ids[Math.floor(Math.random() * n)]!;
    if ((await store.get(probe)) === null) throw new Error('sessionkit logout: setup failed');
    const m = await measure(admin, client, () => store.invalidateAllUserSessions(USER));
    if (m.revoked !== n) throw new Error(`sessionkit logout revoked ${m.revoked} of ${n} sessions`);
    if ((await store.get(probe)) !== null || (await store.countUserSessions(USER)) !== 0) throw new Error('sessionkit logout left a live session');
    return { method: 'sessionkit', sessions: n, chunkSize, ...m };
  } finally {
    await client.quit();
  }
}

async function setupNaive(client: Redis, admin: Redis, n: number): Promise<string[]> {
  await admin.flushall();
  const ids: string[] = [];
  for (let done = 0; done < n; ) {
    const pipeline = client.pipeline();
    for (const end = Math.min(n, done + 1000); done < end; done++) {
      const id = sessionId();
      ids.push(id);
      pipeline.set(`lo-naive:${id}`, JSON.stringify({ ...loginSession(done), userId: USER }), 'EX', 86_400);
      pipeline.sadd(`lo-naive-user:${USER}`, id);
    }
    await pipeline.exec();
  }
  return ids;
}

export async function runNaive(redisUrl: string, admin: Redis, n: number, pipelined: boolean): Promise<LogoutRun> {
  const client = new Redis(redisUrl);
  try {
    const ids = await setupNaive(client, admin, n);
    const setKey = `lo-naive-user:${USER}`;
    const owned = (raw: string | null) => raw !== null && (JSON.parse(raw) as { userId?: string }).userId === USER;
    const m = await measure(admin, client, async () => {
      const members = await client.smembers(setKey);
      let revoked = 0;
      if (!pipelined) {
        for (const id of members) {
          const raw = await client.get(`lo-naive:${id}`);
          if (owned(raw)) revoked += await client.del(`lo-naive:${id}`);
        }
      } else {
        for (let i = 0; i < members.length; i += 1000) {
          const batch = members.slice(i, i + 1000);
          const gets = client.pipeline();
          for (const id of batch) gets.get(`lo-naive:${id}`);
          const values = (await gets.exec()) ?? [];
          const dels = client.pipeline();
          batch.forEach((id, j) => {
            if (owned(values[j]?.[1] as string | null)) dels.del(`lo-naive:${id}`);
          });
          for (const [, count] of (await dels.exec()) ?? []) revoked += Number(count);
        }
      }
      await client.del(setKey);
      return revoked;
    });
    if (m.revoked !== n) throw new Error(`naive logout revoked ${m.revoked} of ${n}`);
    if (await client.exists(`lo-naive:${ids[0]!}`)) throw new Error('naive logout left a session');
    return { method: pipelined ? 'naive-pipelined' : 'naive', sessions: n, ...m };
  } finally {
    await client.quit();
  }
}

/** How long Redis takes just to delete n keys (UNLINK, 1,000 keys per command, one pipeline). */
async function unlinkFloor(redisUrl: string, admin: Redis, n: number): Promise<number> {
  const client = new Redis(redisUrl);
  try {
    const ids = await setupNaive(client, admin, n);
    const pipeline = client.pipeline();
    for (let i = 0; i < ids.length; i += 1000) pipeline.unlink(...ids.slice(i, i + 1000).map((id) => `lo-naive:${id}`));
    const t0 = performance.now();
    await pipeline.exec();
    return performance.now() - t0;
  } finally {
    await client.quit();
  }
}

function summarize(runs: LogoutRun[]): LogoutRow {
  const longest = runs.reduce((a, b) => (b.longestCommandMs > a.longestCommandMs ? b : a));
  return { ...medianOf(runs), reps: runs.length, longestCommandMs: longest.longestCommandMs, longestCommand: longest.longestCommand };
}

export async function benchLogout(redisUrl: string, admin: Redis, config: BenchConfig, log: (line: string) => void): Promise<LogoutResult> {
  const saved = {
    threshold: ((await admin.config('GET', 'slowlog-log-slower-than')) as string[])[1]!,
    len: ((await admin.config('GET', 'slowlog-max-len')) as string[])[1]!,
  };
  await admin.config('SET', 'slowlog-log-slower-than', String(SLOW_US));
  await admin.config('SET', 'slowlog-max-len', '100000');
  const defaultChunkSize = new SessionStore({ client: admin }).options.revokeChunkSize;
  const print = (r: LogoutRow) =>
    log(
      `  ${r.method.padEnd(16)} ${String(r.sessions).padStart(7)} sessions${r.chunkSize ? ` chunk ${r.chunkSize}` : ''}: ` +
        `${r.ms.toFixed(1)} ms, ${r.roundTrips} round trips, ${r.commands} commands, Redis CPU ${r.redisCpuMs.toFixed(1)} ms, ` +
        `longest command ${r.longestCommandMs.toFixed(2)} ms ${r.longestCommand} (median ${r.medianCommandMs.toFixed(2)} ms)`,
    );
  try {
    const rows: LogoutRow[] = [];
    const repeat = async (reps: number, run: () => Promise<LogoutRun>) => {
      const runs: LogoutRun[] = [];
      for (let i = 0; i < reps; i++) runs.push(await run());
      rows.push(summarize(runs));
      print(rows.at(-1)!);
    };
    for (const n of config.logoutSizes) {
      await repeat(config.logoutReps, () => runSessionKit(redisUrl, admin, n));
      // The one-by-one naive way takes seconds at 100k sessions: fewer repetitions there.
      await repeat(n > 10_000 ? 1 : config.logoutReps, () => runNaive(redisUrl, admin, n, false));
      await repeat(n > 10_000 ? Math.min(config.logoutReps, 2) : config.logoutReps, () => runNaive(redisUrl, admin, n, true));
    }
    const largest = Math.max(...config.logoutSizes);
    const chunks: LogoutRow[] = [];
    for (const size of config.chunkSizes) {
      const existing = size === defaultChunkSize ? rows.find((r) => r.method === 'sessionkit' && r.sessions === largest) : undefined;
      const row = existing ?? summarize([await runSessionKit(redisUrl, admin, largest, size)]);
      chunks.push({ ...row, chunkSize: size });
      if (!existing) print(row);
    }
    const atChunk =
      rows.find((r) => r.method === 'sessionkit' && r.sessions === defaultChunkSize) ?? summarize([await runSessionKit(redisUrl, admin, defaultChunkSize)]);
    if (!config.logoutSizes.includes(defaultChunkSize)) print(atChunk);
    const tenK = config.logoutSizes.includes(10_000) ? 10_000 : largest;
    // The floor gets as many repetitions as SessionKit's own runs, and the same median.
    const floors: number[] = [];
    for (let i = 0; i < config.logoutReps; i++) floors.push(await unlinkFloor(redisUrl, admin, tenK));
    const unlinkFloorMs = median(floors);
    log(`  floor: UNLINK of ${tenK} keys (1,000 per command, one pipeline): ${unlinkFloorMs.toFixed(1)} ms (median of ${floors.length})`);
    return { rows, chunks, defaultChunkSize, unlinkFloorMs, unlinkFloorSessions: tenK, unlinkFloorReps: floors.length, atChunkSize: atChunk };
  } finally {
    await admin.flushall();
    await admin.config('SET', 'slowlog-log-slower-than', saved.threshold);
    await admin.config('SET', 'slowlog-max-len', saved.len);
    await admin.call('SLOWLOG', 'RESET');
  }
}
