/**
 * `npm run bench:script-cost`: what a save's and a touch's scripts cost Redis, against a plain SET
 * and against the floor, measured by Redis itself (INFO commandstats usec per call) on a
 * redis-server of its own.
 *
 * Rows: a plain SET of the same record; an EVALSHA of a script that only returns (same keys and
 * arguments as a save: the price of running any script); the floor, bench/lua/floor-save.lua (the
 * least a guarded save must make Redis do: read the head, refuse a tombstone, compare the version,
 * SET, ZADD, PEXPIREAT ... GT), and the same with the expiry from Redis's clock
 * (bench/lua/floor-save-time.lua); the save script as the store runs it; the same script body
 * registered as a Redis function (FCALL); the touch script; the logout-everywhere chunk script per
 * revoked session. With SCRIPT_COST_BASELINE=<another checkout of this repository>, that
 * checkout's save and touch scripts run as two more rows in the same rounds (a before/after of a
 * change to the scripts; their KEYS and ARGV must be the same as this checkout's). Two regimes: "hot", 16 calls in flight back to back (Redis never sleeps), and "paced", one call
 * every 2 ms, which is what an app at a few hundred requests per second gives Redis: it sleeps
 * between calls, and each call starts on cold CPU caches. Section 1 of docs/benchmarks.md runs in
 * the second regime.
 *
 * Rounds alternate the rows; medians. Not part of `npm run bench`: it explains a figure there.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer, rawRecord } from '@sessionkit/testing';
import { loginSession } from './session-data.js';
import { median, rootDir, runMain, sleep } from './util.js';

// The build's own bundler, so that these are the texts Redis runs.
type Bundler = { bundleLua(file: string): string };
const { bundleLua } = (await import(join(rootDir, 'packages/core/lua-bundle.mjs'))) as Bundler;
const luaDir = join(rootDir, 'packages/core/src/lua');
const baselineDir = process.env.SCRIPT_COST_BASELINE ? resolve(process.env.SCRIPT_COST_BASELINE) : undefined;

const DATA = JSON.stringify(loginSession(1));
const SESSIONS = 200;

/**
 * The single-node set script's keys and arguments for session i (see the header of
 * src/lua/set-indexed.lua), as the adapters' saves send them: the version and createdAt they
 * loaded, the same owner, meta kept. `version` is what is stored, `createdAt` when it was created.
 */
function setArgs(i: number, version: number, createdAt: number): (string | number)[] {
  const id = String(i % SESSIONS);
  const fields = `|${createdAt}||`;
  const head = `~1${'0'.repeat(26)}${fields}${version + 1}|user-1|0|`;
  const expected = `${fields}${version}|user-1|0|`;
  return [2, `s:${id}`, 'i:{user-1}', head + DATA, 86_400_000, 0, 'user-1', 'k', version, createdAt, head.length, expected, 'user-1', id, '0 reject 600000 s:'];
}

/** When the sessions were created, and the version each has stored (every row starts from a fresh set of records). */
const CREATED_AT = Date.now() - 3_600_000;
const versions: number[] = new Array(SESSIONS).fill(1);

/** The next save of session i: the version stored now, which the save moves on by one. */
function nextSetArgs(i: number): (string | number)[] {
  const version = versions[i % SESSIONS]!;
  versions[i % SESSIONS] = version + 1;
  return setArgs(i, version, CREATED_AT);
}

/** The single-node touch script's keys and arguments for session i (see src/lua/touch-indexed.lua). */
function touchArgs(i: number): (string | number)[] {
  const id = String(i % SESSIONS);
  return [2, `s:${id}`, 'i:{user-1}', 86_400_000, 'user-1', id];
}

/** The floor scripts' keys and arguments for session i (see bench/lua/floor-save.lua). */
function floorArgs(record: string): (i: number) => (string | number)[] {
  return (i) => {
    const id = String(i % SESSIONS);
    return [2, `s:${id}`, 'i:{user-1}', record, 86_400_000, Date.now() + 86_400_000, '', id];
  };
}

/**
 * The set script as a function library: includes at the top (run once, at FUNCTION LOAD), the
 * body inside the registered function, whose parameters take the names the body uses.
 */
function asLibrary(source: string): string {
  const at = source.indexOf('\nlocal key = KEYS[1]');
  if (at < 0) throw new Error('set-indexed.lua changed: update asLibrary');
  return `#!lua name=sessionkit_cost\n${source.slice(0, at)}\nredis.register_function('sessionkit_cost_set', function(KEYS, ARGV)\n${source.slice(at)}\nend)\n`;
}

interface Row {
  name: string;
  command: string;
  /** Commands for call i. */
  call(i: number): (string | number)[];
  /** Calls per measured unit (per revoked session for the chunk script). */
  per?: number;
  prepare?(redis: Redis): Promise<void>;
  /** Throws when the calls did not do what the row is meant to measure. */
  verify?(redis: Redis): Promise<void>;
}

/** Every save of the row carried the version stored, so each one wrote (no conflict): the stored versions say so. */
async function verifySaves(redis: Redis): Promise<void> {
  for (let i = 0; i < SESSIONS; i++) {
    const stored = /^~1\d{26}\|\d+\|\d*\|(\d+)\|/.exec((await redis.get(`s:${i}`)) ?? '')?.[1];
    if (Number(stored) !== versions[i]) throw new Error(`session ${i}: version ${stored} stored, ${versions[i]} expected: the saves did not all write`);
  }
}

async function usecPerCall(redis: Redis, command: string): Promise<{ calls: number; usec: number }> {
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+),usec=(\\d+)`).exec(await redis.info('commandstats'));
  return m ? { calls: Number(m[1]), usec: Number(m[2]) } : { calls: 0, usec: 0 };
}

async function main(): Promise<void> {
  const rounds = Number(process.env.SCRIPT_COST_ROUNDS ?? 5);
  const server = await new RedisServer().start();
  const redis = new Redis(server.url);
  try {
    const load = async (source: string) => (await redis.script('LOAD', source)) as string;
    const set = bundleLua(join(luaDir, 'set-indexed.lua'));
    const setSha = await load(set);
    const touchSha = await load(bundleLua(join(luaDir, 'touch-indexed.lua')));
    const emptySha = await load('return 1');
    const chunkSha = await load(bundleLua(join(luaDir, 'revoke-chunk.lua')));
    const floorSha = await load(readFileSync(join(rootDir, 'bench/lua/floor-save.lua'), 'utf8'));
    const floorTimeSha = await load(readFileSync(join(rootDir, 'bench/lua/floor-save-time.lua'), 'utf8'));
    const library = asLibrary(set);
    const record = rawRecord({ owner: 'user-1', data: DATA, expiresAt: Date.now() + 86_400_000 });
    const baseline: Row[] = [];
    if (baselineDir) {
      const other = (await import(join(baselineDir, 'packages/core/lua-bundle.mjs'))) as Bundler;
      const otherLua = join(baselineDir, 'packages/core/src/lua');
      const baseSetSha = await load(other.bundleLua(join(otherLua, 'set-indexed.lua')));
      const baseTouchSha = await load(other.bundleLua(join(otherLua, 'touch-indexed.lua')));
      baseline.push(
        // This checkout's arguments, as the header says (the row was once built for the layout before
        // the caller built the record, and then failed against any later checkout).
        { name: 'EVALSHA set, baseline checkout', command: 'evalsha', call: (i) => ['EVALSHA', baseSetSha, ...nextSetArgs(i)], verify: verifySaves },
        { name: 'EVALSHA touch, baseline checkout', command: 'evalsha', call: (i) => ['EVALSHA', baseTouchSha, ...touchArgs(i)] },
      );
    }
    const populate = async () => {
      await redis.flushall();
      await redis.call('FUNCTION', 'LOAD', 'REPLACE', library);
      // What the saves expect stored: a record of user-1 created at CREATED_AT, version 1, indexed.
      const p = redis.pipeline();
      for (let i = 0; i < SESSIONS; i++) {
        p.set(`s:${i}`, rawRecord({ owner: 'user-1', data: DATA, createdAt: CREATED_AT, expiresAt: Date.now() + 86_400_000 }), 'PX', 86_400_000);
        p.zadd('i:{user-1}', Date.now() + 86_400_000, String(i));
      }
      await p.exec();
      versions.fill(1);
    };
    const REVOKED = 10_000;
    const rows: Row[] = [
      { name: 'SET of the record (PX)', command: 'set', call: (i) => ['SET', `s:${i % SESSIONS}`, record, 'PX', 86_400_000] },
      { name: 'EVALSHA of `return 1`, same keys and arguments', command: 'evalsha', call: (i) => ['EVALSHA', emptySha, ...nextSetArgs(i)] },
      { name: 'EVALSHA floor (bench/lua/floor-save.lua)', command: 'evalsha', call: (i) => ['EVALSHA', floorSha, ...floorArgs(record)(i)] },
      {
        name: "EVALSHA floor with Redis's clock (bench/lua/floor-save-time.lua)",
        command: 'evalsha',
        call: (i) => ['EVALSHA', floorTimeSha, ...floorArgs(record)(i)],
      },
      { name: 'EVALSHA set (a save, as the store sends it)', command: 'evalsha', call: (i) => ['EVALSHA', setSha, ...nextSetArgs(i)], verify: verifySaves },
      {
        name: 'FCALL set (the same body as a Redis function)',
        command: 'fcall',
        call: (i) => ['FCALL', 'sessionkit_cost_set', ...nextSetArgs(i)],
        verify: verifySaves,
      },
      { name: 'EVALSHA touch (a touch, as the store sends it)', command: 'evalsha', call: (i) => ['EVALSHA', touchSha, ...touchArgs(i)] },
      ...baseline,
      {
        name: 'logout-everywhere chunk script, per revoked session',
        command: 'evalsha',
        call: () => ['EVALSHA', chunkSha, 1, 'drain', 'user-1', 600_000, 's:', 1000],
        per: 1000,
        prepare: async (r) => {
          const p = r.pipeline();
          for (let i = 0; i < REVOKED; i++) {
            p.set(`s:${i}`, record, 'PX', 86_400_000);
            p.zadd('drain', Date.now() + 86_400_000, String(i));
          }
          await p.exec();
        },
      },
    ];
    const results = new Map<string, number[]>();
    for (let round = 0; round < rounds; round++) {
      for (const regime of ['hot', 'paced'] as const) {
        for (const row of rows) {
          await populate();
          await row.prepare?.(redis);
          await redis.config('RESETSTAT');
          // The chunk script drains its key: REVOKED / per calls.
          const calls = row.per ? REVOKED / row.per : regime === 'hot' ? 8000 : 600;
          if (regime === 'hot') {
            let next = 0;
            const lanes = row.per ? 1 : 16;
            await Promise.all(
              Array.from({ length: lanes }, async () => {
                while (next < calls) await redis.call(...(row.call(next++) as [string]));
              }),
            );
          } else {
            for (let i = 0; i < calls; i++) {
              await redis.call(...(row.call(i) as [string]));
              await sleep(2);
            }
          }
          const { calls: done, usec } = await usecPerCall(redis, row.command);
          await row.verify?.(redis);
          const key = `${regime} ${row.name}`;
          results.set(key, [...(results.get(key) ?? []), usec / done / (row.per ?? 1)]);
        }
      }
    }
    console.log(
      `Redis ${(await redis.info('server')).match(/redis_version:(\S+)/)?.[1]}, ${rounds} rounds, medians of Redis's usec per call (INFO commandstats)\n`,
    );
    console.log(`| call | hot µs | paced µs |\n| --- | ---: | ---: |`);
    for (const row of rows) {
      const hot = median(results.get(`hot ${row.name}`) ?? []);
      const paced = median(results.get(`paced ${row.name}`) ?? []);
      console.log(`| ${row.name} | ${hot.toFixed(2)} | ${paced.toFixed(2)} |`);
    }
    const ratio = (a: string, b: string) =>
      ['hot', 'paced'].map((regime) => (median(results.get(`${regime} ${a}`) ?? []) / median(results.get(`${regime} ${b}`) ?? [])).toFixed(2)).join(' / ');
    const [setRow, floorRow, floorTimeRow, touchRow, baseSetRow, baseTouchRow] = [
      'EVALSHA set (a save, as the store sends it)',
      'EVALSHA floor (bench/lua/floor-save.lua)',
      "EVALSHA floor with Redis's clock (bench/lua/floor-save-time.lua)",
      'EVALSHA touch (a touch, as the store sends it)',
      'EVALSHA set, baseline checkout',
      'EVALSHA touch, baseline checkout',
    ];
    console.log(`\nsave / floor, hot / paced: ${ratio(setRow, floorRow)}`);
    console.log(`save / floor with Redis's clock: ${ratio(setRow, floorTimeRow)}`);
    if (baseline.length) console.log(`save / baseline save: ${ratio(setRow, baseSetRow)}\ntouch / baseline touch: ${ratio(touchRow, baseTouchRow)}`);
  } finally {
    redis.disconnect();
    await server.dispose();
  }
}

runMain(main);
