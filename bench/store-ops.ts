/**
 * Comparison 5: store operations without HTTP. get / set / touch throughput at concurrency 1
 * and 64 (workers awaiting one call at a time on one shared client, as an app does), for
 * @sessionkit/core and connect-redis, next to `redis-benchmark -t get,set` on the same server
 * (same value size, same number of keys) as the physical ceiling of this machine.
 */
import { execFile } from 'node:child_process';
import type { Redis } from 'ioredis';
import { promisify } from 'node:util';
import type { BenchConfig } from './config.js';
import { resolveRedisServer, siblingBinary } from '@sessionkit/testing';
import { loginSession, sessionId } from './session-data.js';
import { openStore, type BenchStore, type StoreId } from './stores.js';
import { closedLoop, commandDelta, commandStats, median, medianOf, redisCpu } from './util.js';

const run = promisify(execFile);

export type Op = 'get' | 'set' | 'touch';
const OPS: Op[] = ['get', 'set', 'touch'];
const CONCURRENCY = [1, 64] as const;
const STORES: StoreId[] = ['connect-redis8', 'connect-redis9', 'sessionkit', 'sessionkit-node-redis'];
const KEYS = 1000;

/**
 * One run of one operation. Per operation: Redis's time in the top-level commands (INFO
 * commandstats usec), CPU of Redis's main thread (commands plus socket I/O), CPU of the Node
 * process (user + system), all in µs, and top-level commands.
 */
export interface OpsRun {
  opsPerSec: number;
  redisUsPerOp: number;
  redisCpuUsPerOp: number;
  nodeUsPerOp: number;
  commandsPerOp: number;
}

/** Medians over the rounds, and every round. */
export type OpsRow = OpsRun & { store: string; label: string; op: Op; concurrency: number; runs: OpsRun[] };

/** Median requests/s over the rounds of one redis-benchmark shape: `connections` (-c), requests in flight per connection (-P). */
export interface RedisBenchmarkRow {
  test: 'GET' | 'SET';
  concurrency: number;
  pipeline: number;
  connections: number;
  rps: number;
  runs: number[];
}

export interface StoreOpsResult {
  rows: OpsRow[];
  redisBenchmark: RedisBenchmarkRow[];
  valueBytes: number;
  redisBenchmarkCommand: string;
}

/**
 * redis-benchmark shapes: -c 1 and -c 64 as asked (one request in flight per connection), and
 * -c 1 -P 64: one connection with 64 requests in flight, the shape of one Node client shared by
 * 64 concurrent callers (both ioredis and node-redis pipeline concurrent commands on their one
 * connection), so the fair ceiling for the concurrency-64 rows.
 */
const RB_SHAPES = [
  { concurrency: 1, connections: 1, pipeline: 1 },
  { concurrency: 64, connections: 64, pipeline: 1 },
  { concurrency: 64, connections: 1, pipeline: 64 },
] as const;

async function redisBenchmark(port: number, shape: (typeof RB_SHAPES)[number], requests: number, valueBytes: number) {
  const binary = siblingBinary(await resolveRedisServer(), 'redis-benchmark');
  if (!binary) throw new Error('redis-benchmark not found next to redis-server or on PATH');
  const pipeline = shape.pipeline > 1 ? ` -P ${shape.pipeline}` : '';
  const args = `-h 127.0.0.1 -p ${port} -t get,set -c ${shape.connections}${pipeline} -n ${requests} -d ${valueBytes} -r ${KEYS} --csv`.split(' ');
  const { stdout } = await run(binary, args, { timeout: 120_000 });
  const out = { GET: NaN, SET: NaN, command: `redis-benchmark ${args.slice(4).join(' ')}` };
  for (const [, test, rps] of stdout.matchAll(/^"(GET|SET)","([\d.]+)"/gm)) out[test as 'GET' | 'SET'] = Number(rps);
  return out;
}

async function prepare(store: BenchStore): Promise<{ ids: string[]; sessions: Record<string, unknown>[] }> {
  const ids = Array.from({ length: KEYS }, () => sessionId());
  const sessions = ids.map((_, i) => loginSession(i));
  await closedLoop(64, 600_000, KEYS, (i) => store.set(ids[i]!, sessions[i]!));
  // Warm the code paths (and the Lua script cache of this client's connection).
  await closedLoop(8, 600_000, 2000, (i) => Promise.all([store.get(ids[i % KEYS]!), store.touch(ids[i % KEYS]!, sessions[i % KEYS]!)]));
  return { ids, sessions };
}

export async function benchStoreOps(redisUrl: string, port: number, monitor: Redis, config: BenchConfig, log: (line: string) => void): Promise<StoreOpsResult> {
  const stores = await Promise.all(STORES.map((id) => openStore(id, redisUrl)));
  try {
    const data = new Map<string, Awaited<ReturnType<typeof prepare>>>();
    for (const store of stores) data.set(store.id, await prepare(store));
    const valueBytes = Buffer.byteLength(JSON.stringify(loginSession(123)));
    const runs = new Map<string, OpsRun[]>();
    const rb = new Map<string, number[]>();
    const add = <T>(map: Map<string, T[]>, key: string, value: T) => map.set(key, [...(map.get(key) ?? []), value]);
    let rbCommand = '';
    for (let round = 0; round < config.rounds; round++) {
      for (let s = 0; s < stores.length; s++) {
        const store = stores[(s + round) % stores.length]!;
        const { ids, sessions } = data.get(store.id)!;
        for (const op of OPS) {
          for (const concurrency of CONCURRENCY) {
            const offset = Math.floor(Math.random() * KEYS);
            // get ignores the session it is passed.
            const call = store[op];
            const before = await commandStats(monitor);
            const redis0 = await redisCpu(monitor, true);
            const cpu = process.cpuUsage();
            const { ops, seconds } = await closedLoop(concurrency, config.opsDuration * 1000, 5_000_000, (i) =>
              call(ids[(i + offset) % KEYS]!, sessions[(i + offset) % KEYS]!),
            );
            const used = process.cpuUsage(cpu);
            const redisCpuUs = ((await redisCpu(monitor, true)) - redis0) * 1e6;
            const count = commandDelta(before, await commandStats(monitor));
            const result: OpsRun = {
              opsPerSec: ops / seconds,
              redisUsPerOp: count.usec / ops,
              redisCpuUsPerOp: redisCpuUs / ops,
              nodeUsPerOp: (used.user + used.system) / ops,
              commandsPerOp: count.topLevel / ops,
            };
            add(runs, `${store.id} ${op} ${concurrency}`, result);
            log(
              `  round ${round + 1}/${config.rounds} ${store.label.padEnd(30)} ${op.padEnd(5)} c=${String(concurrency).padEnd(3)} ` +
                `${result.opsPerSec.toFixed(0).padStart(7)} ops/s  Redis CPU ${result.redisCpuUsPerOp.toFixed(1)} µs/op  Node CPU ${result.nodeUsPerOp.toFixed(1)} µs/op`,
            );
          }
        }
      }
      for (const shape of RB_SHAPES) {
        const r = await redisBenchmark(port, shape, config.rbRequests[shape.concurrency === 1 ? 0 : 1] ?? 10_000, valueBytes);
        if (!rbCommand) rbCommand = r.command.replace(/-c \d+ -n \d+/, '-c <1|64> [-P 64] -n <requests>');
        for (const test of ['GET', 'SET'] as const) add(rb, `${test} ${shape.connections} ${shape.pipeline}`, r[test]);
        log(
          `  round ${round + 1}/${config.rounds} redis-benchmark -c ${shape.connections}${shape.pipeline > 1 ? ` -P ${shape.pipeline}` : ''}: GET ${r.GET.toFixed(0)} SET ${r.SET.toFixed(0)} req/s`,
        );
      }
    }
    const rows: OpsRow[] = stores.flatMap((store) =>
      OPS.flatMap((op) =>
        CONCURRENCY.map((concurrency) => {
          const r = runs.get(`${store.id} ${op} ${concurrency}`)!;
          return { ...medianOf(r), store: store.id, label: store.label, op, concurrency, runs: r };
        }),
      ),
    );
    const redisBenchmarkRows = (['GET', 'SET'] as const).flatMap((test) =>
      RB_SHAPES.map((shape) => {
        const r = rb.get(`${test} ${shape.connections} ${shape.pipeline}`)!;
        return { test, ...shape, rps: median(r), runs: r };
      }),
    );
    return { rows, redisBenchmark: redisBenchmarkRows, valueBytes, redisBenchmarkCommand: rbCommand };
  } finally {
    await Promise.all(stores.map((s) => s.close()));
  }
}
