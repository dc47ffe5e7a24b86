/**
 * Turns the results into docs/benchmarks.md: tables, targets met or missed, findings, method,
 * machine and how to reproduce. The targets are in targets.ts, the chart in chart.ts.
 */
import { relative, dirname } from 'node:path';
import { dec, int, mark, ms, pct, table, times } from './format.js';
import { FIXED_RATE_FRAMEWORKS, type Framework } from './config.js';
import { FIXED_RATE_FRAMEWORK_INFO, fixedRow, type FixedRateComparison, type FixedRateRow } from './fixed-rate.js';
import { row as httpRow, type HttpComparison } from './http-compare.js';
import type { LogoutRun } from './logout.js';
import type { BenchResults, Target } from './results.js';
import { fasterPeer, logoutRow } from './targets.js';

// ---------------------------------------------------------------------------------------------
// Sections

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "GET + EXPIRE": the commands a store sent about once or more per request (MONITOR), by name. */
function sentNames(byCommand: Record<string, number> | undefined): string {
  const names = Object.entries(byCommand ?? {})
    .filter(([, perRequest]) => perRequest >= 0.5)
    .sort((a, b) => b[1] - a[1])
    .map(([name]) => name.toUpperCase());
  return names.length === 1 ? `one ${names[0]}` : names.join(' + ') || 'no command';
}

/** The frameworks section 1 ran, in the report's order. */
function fixedComparisons(r: BenchResults): FixedRateComparison[] {
  const fr = r.fixedRate ?? {};
  return FIXED_RATE_FRAMEWORKS.map((f) => fr[f]).filter((c): c is FixedRateComparison => Boolean(c));
}

/** What each app of section 1 is, for the method text. */
const APP_NOTES: Record<Framework, string> = {
  express:
    "**Express 5 + express-session**: `resave: false`, `saveUninitialized: false`, cookie `maxAge` 1 day; a read calls the store's `get` and `touch`, a write `get` and `set`.",
  fastify:
    '**Fastify 5 + @fastify/session**: its defaults (`rolling: true`, `saveUninitialized: true`), `cookie.secure` off for plain HTTP; every request with a session calls `get` and then `set`, unchanged or not.',
  koa:
    "**Koa 3 + koa-session 7**: `maxAge` 1 day, signed cookies, `rolling: true` (as in examples/koa-app), so that a read slides the session as express-session's touch and @fastify/session's rolling save do: koa-session saves the unchanged session on every response and tells the store `changed: false`. " +
    "With koa-session's default `rolling: false` no store writes on a read, and a session expires a day after its last change however active its user. " +
    "**koa-redis 4** is the Redis store Koa apps use with koa-session: set up as its README says (`redisStore(options)`, here `{ url }`, which makes its own ioredis 4 client) and passed as koa-session's `store`, it writes every save with SETEX, changed or not; **koa-redis 4, rolling: false** is the same with koa-session's default, for apps that keep it: no save on a read, and no slide. " +
    'The **koa-session cookie** row is koa-session without a store: the whole session in the signed cookie, nothing in Redis.',
  'react-router':
    "**React Router 7**: data routes whose loaders use the session storage, answered by React Router's static handler (`createStaticHandler().queryRoute`) behind node:http, as in examples/react-router-app, so each request runs the framework's own `getSession` / `commitSession`. " +
    "The `/read` loader calls `getSession` and does not commit (a loader that only reads); `/write` sets the counter and commits (the cookie's `maxAge` is 1 day). " +
    "React Router ships no Redis storage, so nothing here is SessionKit's rival: **createCookieSessionStorage** keeps the whole session in the signed cookie and nothing on the server, the ceiling (no Redis, no per-user index, no server-side revocation); " +
    '**createMemorySessionStorage** keeps sessions in the process (lost on restart, not shared between instances), the floor.',
};

/** Section 1: the fixed-rate table, per framework, and the ratios the targets use. */
function fixedRateSection(r: BenchResults): string {
  const comparisons = fixedComparisons(r);
  const first = comparisons[0]!;
  const out: string[] = ['## 1. CPU per request at a fixed rate', ''];
  const idle = comparisons
    .map(
      (c) =>
        `${int(c.idle.redisUsPerSecond)} µs/s for Redis during the ${FIXED_RATE_FRAMEWORK_INFO[c.framework].name} rounds, ${dec(c.idle.redisUsPerSecond / c.rate, 1)} µs per request`,
    )
    .join('; ');
  out.push(
    `Every store behind the same app, driven at a fixed ${int(first.rate)} req/s (well below saturation on this machine) over ${first.connections} keep-alive connections: ` +
      `${first.duration} s measured per run after ${first.warmup} s at the same rate, ${plural(first.rounds, 'round')}, each round visiting every store (read path, then write path) in a rotated order, on app processes started afresh for the round (a process keeps how it came out, its core and its JIT, for its life, so rounds of one process are not independent samples); medians over the rounds. ` +
      `Requests cycle through the session cookies of ${int(first.sessions)} signed-in users. **The targets are checked against this table.**`,
    '',
    `**The apps** (\`bench/app-server.ts\`, \`bench/apps/\`; one child process per store; \`GET /login?u=N\` signs user N in with the same session everywhere: user id, a small profile, a CSRF token, a counter; \`GET /read\` reads it, \`GET /write\` increments the counter). ` +
      comparisons.map((c) => APP_NOTES[c.framework]).join(' '),
    '',
    "**How measured.** Requests leave at evenly spaced instants whatever the responses do (an open loop, `bench/paced-load.ts`; autocannon's `overallRate` sends each second's share in a burst and then waits, so its server is saturated part of the time). " +
      "Per run, divided by the 2xx responses: the app server's CPU time (`process.cpuUsage()` of its process, every thread, asked over IPC at the edges of the window) and redis-server's (`INFO cpu` used_cpu_user + used_cpu_sys, every thread) " +
      `minus what Redis uses when idle (its timers; measured before every round with every app connected and idle: ${idle}; the same for every store). ` +
      "The app's CPU is not corrected: an idle Node process uses next to nothing, and what it uses just after a run is that run's garbage collection. " +
      `**Commands sent** come from a MONITOR pass of ${int(first.countRequests)} requests after each window (MONITOR slows Redis, so never during one; unpaced, since what a store sends per request does not depend on the rate); **executed** counts everything Redis ran in the window, commands inside scripts included (\`INFO commandstats\`). ` +
      'The load generator runs in the bench process and is not counted. "app + Redis" is the median of each round\'s sum. ' +
      "SessionKit touches a session at most once per `touchAfter` (60 s); a store waits over a minute for its next turn, so every session's touch falls due again meanwhile: " +
      `each run's warm-up visits all ${int(first.sessions)} sessions, which pays those touches before the window, and the window measures sessions active within the last minute, as in a busy app. ` +
      'In the first round the touches of sessions signed in a minute earlier can fall due inside a window; the median over the rounds sets that round aside.',
    '',
    `**Why a fixed rate.** On this ${r.meta.cores}-core machine, shared by Redis, the app, the load generator and other jobs, saturated req/s measures what the other processes left over and moves by a quarter between rounds (sections 2 and 3 show it). ` +
      'CPU time per request at a rate the machine can serve does not depend on who else got the cores, and it is what a store costs at scale: the app servers and the Redis node a deployment pays for.',
    '',
  );
  for (const c of comparisons) {
    const info = FIXED_RATE_FRAMEWORK_INFO[c.framework];
    for (const path of ['/read', '/write'] as const) {
      const rows = c.rows.filter((x) => x.path === path);
      if (!rows.length) continue;
      const peers = info.peers.map((p) => ({ ...p, row: fixedRow(c, p.id, path) }));
      // A Redis CPU ratio only against a peer that uses Redis (not React Router's cookie storage).
      const redisPeers = peers.filter((p) => p.row?.client !== 'none');
      out.push(`### ${info.title}, ${path === '/read' ? 'read path (session unchanged)' : 'write path (session modified, owner indexed)'}`, '');
      out.push(
        table(
          [
            'store',
            'app CPU µs/req',
            'Redis CPU µs/req',
            'app + Redis µs/req',
            'each round (app + Redis)',
            ...peers.map((p) => `vs ${p.name}`),
            ...(redisPeers.length ? [`Redis CPU vs ${redisPeers.map((p) => p.abbr).join(' / ')}`] : []),
            'commands sent/req',
            'executed/req',
            'req/s achieved',
            'p50 / p99',
          ],
          rows.map((x: FixedRateRow) => {
            const none = x.client === 'none';
            return [
              x.store.startsWith('sessionkit') ? `**${x.label}**` : x.label,
              int(x.appCpuUs),
              none ? '-' : dec(x.redisCpuUs, 1),
              int(x.totalCpuUs),
              x.runs.map((y) => int(y.totalCpuUs)).join(' / '),
              ...peers.map((p) => (p.row ? times(x.totalCpuUs / p.row.totalCpuUs) : 'n/a')),
              ...(redisPeers.length ? [none ? '-' : redisPeers.map((p) => (p.row ? times(x.redisCpuUs / p.row.redisCpuUs) : 'n/a')).join(' / ')] : []),
              none ? '0' : dec(x.commandsPerRequest, 3),
              none ? '0' : dec(x.executedPerRequest, 2),
              int(x.rps),
              `${ms(x.p50)} / ${ms(x.p99)}`,
            ];
          }),
        ),
        '',
      );
      const failures = rows.reduce((sum, x) => sum + x.failures, 0);
      if (failures) out.push(`**Warning:** ${failures} non-2xx responses or errors in these runs.`, '');
      // Requests leave on schedule, so a lower achieved rate means responses queued: the machine
      // was saturated and these rows measure a loaded server, not the fixed rate asked for.
      const behind = rows.filter((x) => x.rps < 0.9 * c.rate);
      if (behind.length)
        out.push(
          `**Warning:** ${behind.map((x) => x.label).join(', ')} answered below 90% of ${int(c.rate)} req/s: the machine could not keep up, and those figures are of a saturated server.`,
          '',
        );
    }
    for (const s of c.skipped) out.push(`Not run: ${s.label} (${s.reason}).`, '');
  }
  // The ratios the targets need, side by side (the targets are Express's and Fastify's).
  const targeted = comparisons.filter((c) => c.framework === 'express' || c.framework === 'fastify');
  const ratio = (c: FixedRateComparison, a: string, b: string, key: 'redisCpuUs' | 'totalCpuUs', path: '/read' | '/write') => {
    const x = fixedRow(c, a, path);
    const y = fixedRow(c, b, path);
    return x && y ? times(x[key] / y[key]) : 'n/a';
  };
  const lines: [string, string, string, 'redisCpuUs' | 'totalCpuUs'][] = [
    ['Redis CPU: SessionKit (ioredis) / connect-redis 9', 'sessionkit', 'connect-redis9', 'redisCpuUs'],
    ['Redis CPU: SessionKit (ioredis) / connect-redis 8', 'sessionkit', 'connect-redis8', 'redisCpuUs'],
    ['app + Redis: SessionKit (ioredis) / connect-redis 8 (same client)', 'sessionkit', 'connect-redis8', 'totalCpuUs'],
    ['app + Redis: SessionKit (ioredis) / connect-redis 9', 'sessionkit', 'connect-redis9', 'totalCpuUs'],
    ['app + Redis: SessionKit (node-redis) / connect-redis 9 (same client)', 'sessionkit-node-redis', 'connect-redis9', 'totalCpuUs'],
    ['Redis CPU: SessionKit (node-redis) / connect-redis 9', 'sessionkit-node-redis', 'connect-redis9', 'redisCpuUs'],
  ];
  if (targeted.length) {
    out.push(
      '### The ratios the targets use',
      '',
      table(
        ['ratio (of medians)', ...targeted.flatMap((c) => ['read', 'write'].map((p) => `${FIXED_RATE_FRAMEWORK_INFO[c.framework].name} ${p}`))],
        lines.map(([label, a, b, key]) => [label, ...targeted.flatMap((c) => [ratio(c, a, b, key, '/read'), ratio(c, a, b, key, '/write')])]),
      ),
      '',
    );
  }
  // Koa and React Router have no targets of their own: their ratios against the alternative.
  const others: [FixedRateComparison, string, string, string, 'redisCpuUs' | 'totalCpuUs'][] = [];
  for (const c of comparisons) {
    if (c.framework === 'koa') {
      others.push(
        [c, 'Koa: app + Redis, @sessionkit/koa (ioredis) / koa-redis (ioredis 4)', 'sessionkit', 'koa-redis', 'totalCpuUs'],
        [c, 'Koa: Redis CPU, @sessionkit/koa (ioredis) / koa-redis', 'sessionkit', 'koa-redis', 'redisCpuUs'],
        [c, 'Koa: app + Redis, @sessionkit/koa (node-redis) / koa-redis', 'sessionkit-node-redis', 'koa-redis', 'totalCpuUs'],
        [c, 'Koa: app + Redis, @sessionkit/koa (ioredis) / koa-session cookie (nothing in Redis)', 'sessionkit', 'cookie', 'totalCpuUs'],
      );
    }
    if (c.framework === 'react-router') {
      others.push(
        [c, 'React Router: app + Redis, @sessionkit/react-router (ioredis) / createCookieSessionStorage (ceiling)', 'sessionkit', 'cookie', 'totalCpuUs'],
        [
          c,
          'React Router: app + Redis, @sessionkit/react-router (node-redis) / createCookieSessionStorage (ceiling)',
          'sessionkit-node-redis',
          'cookie',
          'totalCpuUs',
        ],
        [c, 'React Router: app + Redis, @sessionkit/react-router (ioredis) / createMemorySessionStorage (floor)', 'sessionkit', 'memory', 'totalCpuUs'],
      );
    }
  }
  if (others.length) {
    out.push(
      '### Koa and React Router against their alternatives',
      '',
      'No target was set for these two; the ratios are for information. React Router ships no Redis storage: its cookie storage is the ceiling (no server-side state at all), not a rival.',
      '',
      table(
        ['ratio (of medians)', 'read', 'write'],
        others.map(([c, label, a, b, key]) => [label, ratio(c, a, b, key, '/read'), ratio(c, a, b, key, '/write')]),
        ['l', 'r', 'r'],
      ),
      '',
    );
  }
  return out.join('\n');
}

function httpSection(c: HttpComparison, title: string, intro: string): string {
  const out: string[] = [`## ${title}`, '', intro, ''];
  for (const path of ['/read', '/write'] as const) {
    const rows = c.rows.filter((r) => r.path === path);
    if (!rows.length) continue;
    const mem = httpRow(c, 'memory', path);
    const cr9 = httpRow(c, 'connect-redis9', path);
    const cr8 = httpRow(c, 'connect-redis8', path);
    const head = ['store', 'req/s (median)', 'each round'];
    if (cr9) head.push('vs connect-redis 9');
    if (cr8) head.push('vs connect-redis 8');
    head.push('vs MemoryStore', 'Redis round trips/req', 'app server CPU µs/req', 'Redis CPU µs/req');
    out.push(`### ${path === '/read' ? 'Read path (session unchanged)' : 'Write path (session modified every request)'}`, '');
    out.push(
      table(
        head,
        rows.map((r) => {
          const cells: (string | number)[] = [r.store === 'sessionkit' ? `**${r.label}**` : r.label, int(r.rps), r.runs.map((x) => int(x.rps)).join(' / ')];
          if (cr9) cells.push(times(r.rps / cr9.rps));
          if (cr8) cells.push(times(r.rps / cr8.rps));
          cells.push(
            mem ? times(r.rps / mem.rps) : 'n/a',
            r.store === 'memory' ? '0' : dec(r.commandsPerRequest, 3),
            int(r.serverCpuUsPerRequest),
            r.store === 'memory' ? '0' : dec(r.redisCpuUsPerRequest, 1),
          );
          return cells;
        }),
      ),
      '',
    );
    const failures = rows.reduce((sum, r) => sum + r.failures, 0);
    if (failures) out.push(`**Warning:** ${failures} non-2xx responses, errors or timeouts in these runs.`, '');
  }
  for (const s of c.skipped ?? []) out.push(`Not run: ${s.label} (${s.reason}).`, '');
  return out.join('\n');
}

function costSection(r: BenchResults): string {
  const out: string[] = ['## 4. Redis cost per request and memory per session', ''];
  const rows: (string | number)[][] = [];
  for (const c of [r.express, r.fastify]) {
    if (!c) continue;
    for (const x of c.rows) {
      if (x.store === 'memory') continue;
      const byCommand = Object.entries(x.runs[0]?.byCommand ?? {})
        .sort((a, b) => b[1] - a[1])
        .map(([name, perRequest]) => `${name} ${dec(perRequest, 2)}`)
        .join(', ');
      rows.push([`${c.framework}: ${x.label}`, x.path, dec(x.commandsPerRequest, 3), byCommand, dec(x.executedPerRequest, 2), dec(x.redisCpuUsPerRequest, 1)]);
    }
  }
  if (rows.length) {
    out.push(
      `**Sent** is what the store sent Redis, counted with MONITOR in a pass of ${int(r.config.countRequests)} requests after each measured run (MONITOR slows Redis, so it never runs during a timed window; it also shows the commands a Lua script runs, tagged "lua", which are left out). ` +
        'None of these stores pipelines the commands of one request (each waits for the previous reply), so **commands sent per request = round trips per request**. ' +
        '**Executed** counts everything Redis ran in the measured window (`INFO commandstats` deltas), commands inside scripts included, per 2xx response. ' +
        '**Redis CPU** is the CPU time of Redis\'s main thread per request in that window (`INFO cpu` used_cpu_*_main_thread): running the commands and reading and writing the sockets, the whole cost one request puts on Redis. Medians over the rounds; "by command" is from the first round.',
      '',
      table(['store', 'path', 'sent = round trips/req', 'by command (per request)', 'executed/req (incl. inside scripts)', 'Redis CPU µs/req'], rows, [
        'l',
        'l',
        'r',
        'l',
        'r',
        'r',
      ]),
      '',
    );
  }
  if (r.memory) {
    // The reference the targets use: connect-redis 9 (8 stores the same string).
    const crMemory = r.memory.find((x) => x.label.startsWith('connect-redis 9')) ?? r.memory.find((x) => x.label.startsWith('connect-redis'));
    out.push(
      '### Memory per session',
      '',
      `\`INFO used_memory\` after writing ${int(r.memory[0]?.sessions ?? 0)} sessions shaped like the HTTP apps' (a 1-day cookie, user id, small profile, CSRF token; ` +
        `about ${int(r.storeOps?.valueBytes ?? 250)} bytes of JSON) minus before, on an empty database, divided by the number of sessions: keys, values, expiry entries and, for SessionKit, the per-user index. ` +
        '`MEMORY USAGE` (SAMPLES 0) of one session key and one index key for the breakdown. Default Redis settings (a record that is one string needs no `hash-max-*` setting); "vs connect-redis" is against connect-redis 9 (connect-redis 8 stores the same string).',
      '',
      table(
        [
          'store',
          'users',
          'bytes per session (index included)',
          'vs connect-redis',
          'session key alone (MEMORY USAGE)',
          'vs connect-redis',
          'encoding',
          'index key',
          'note',
        ],
        r.memory.map((m) => [
          m.label,
          int(m.users),
          int(m.bytesPerSession),
          times(m.bytesPerSession / (crMemory?.bytesPerSession ?? NaN)),
          `${int(m.sessionKeyBytes)} B`,
          times(m.sessionKeyBytes / (crMemory?.sessionKeyBytes ?? NaN)),
          m.encoding,
          m.indexKeyBytes ? `${int(m.indexKeyBytes)} B` : '-',
          m.note ?? '',
        ]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'r', 'l'],
      ),
      '',
    );
  }
  return out.join('\n');
}

function logoutSection(r: BenchResults): string {
  const l = r.logout!;
  const out: string[] = ['## 5. Logout-everywhere for one user', ''];
  out.push(
    '- **@sessionkit**: `invalidateAllUserSessions(userId)` with the default `revokeChunkSize` (' +
      l.defaultChunkSize +
      '): one script moves the index aside and revokes the first chunk, ' +
      'then one pipeline of chunk scripts; every session becomes a short-lived tombstone.',
    '- **naive**: what a hand-rolled version does (connect-redis-style string sessions plus a SET of ids per user): SMEMBERS, then for each id a GET (check the owner) and a DEL, awaited one by one; then DEL the set. 2N + 2 round trips.',
    '- **naive, pipelined**: the same commands, 1,000 GETs per pipeline, then the DELs for those ids.',
    '',
    'Time is wall-clock around the call (median of repetitions). Round trips are counted on the ioredis client: a round trip starts when a command is sent with none outstanding. ' +
      '"Redis CPU" is the CPU time of Redis\'s main thread during the call (`INFO cpu`, used_cpu_*_main_thread). ' +
      `"Longest command" comes from SLOWLOG (reset before each call, \`slowlog-log-slower-than\` 20 µs since Redis 7 also logs the commands a script runs; those entries, client \`?:0\`, are left out because the script's own entry includes them). ` +
      'SLOWLOG times are wall-clock: when the OS deschedules Redis in the middle of a command (this machine is shared), the entry includes the pause; the Redis CPU per script column is immune to that.',
    '',
  );
  const rows = l.rows.map((x) => {
    const naive = logoutRow(l, 'naive', x.sessions);
    return [
      int(x.sessions),
      x.method === 'sessionkit' ? '**@sessionkit**' : x.method === 'naive' ? 'naive (one by one)' : 'naive, pipelined',
      ms(x.ms),
      naive && x.method !== 'naive' ? times(naive.ms / x.ms, 1) : '',
      int(x.roundTrips),
      int(x.commands),
      ms(x.redisCpuMs),
      x.longestCommandMs > 0 ? `${ms(x.longestCommandMs)} (${x.longestCommand})` : '< 0.02 ms',
      x.reps,
    ];
  });
  out.push(
    table(['sessions', 'method', 'time', 'faster than naive', 'round trips', 'top-level commands', 'Redis CPU', 'longest single command', 'reps'], rows, [
      'r',
      'l',
      'r',
      'r',
      'r',
      'r',
      'r',
      'r',
      'r',
    ]),
    '',
  );
  if (l.chunks.length) {
    const largest = Math.max(...r.config.logoutSizes);
    out.push(
      `### revokeChunkSize at ${int(largest)} sessions`,
      '',
      table(
        ['revokeChunkSize', 'time', 'scripts', 'Redis CPU per script (avg)', 'median script (SLOWLOG)', 'longest command', '<= 10 ms'],
        l.chunks.map((c) => [
          c.chunkSize === l.defaultChunkSize ? `${int(c.chunkSize!)} (default)` : int(c.chunkSize!),
          ms(c.ms),
          int(c.commands),
          ms(c.redisCpuMs / c.commands),
          ms(c.medianCommandMs),
          ms(c.longestCommandMs),
          c.longestCommandMs <= 10 ? 'yes' : 'no',
        ]),
      ),
      '',
    );
  }
  if (l.unlinkFloorMs !== undefined) {
    const ours = logoutRow(l, 'sessionkit', l.unlinkFloorSessions ?? NaN);
    out.push(
      `**The UNLINK floor.** Deleting ${int(l.unlinkFloorSessions ?? 0)} plain keys with \`UNLINK\` (1,000 keys per command, all in one pipeline) took ${ms(l.unlinkFloorMs)} in this run ` +
        `(median of ${l.unlinkFloorReps ?? 1}, same setup as the naive rows): the floor for any logout that touches every session key` +
        (ours ? `; SessionKit's logout of as many sessions took ${times(ours.ms / l.unlinkFloorMs)} that.` : '.'),
      '',
    );
  }
  if (l.atChunkSize) {
    out.push(
      `At exactly the default chunk size (${int(l.atChunkSize.sessions)} sessions) the logout took ${int(l.atChunkSize.roundTrips)} round trip${l.atChunkSize.roundTrips === 1 ? '' : 's'} and ${ms(l.atChunkSize.ms)}.`,
      '',
    );
  }
  return out.join('\n');
}

function storeOpsSection(r: BenchResults): string {
  const s = r.storeOps!;
  const out: string[] = ['## 6. Store operations without HTTP', ''];
  out.push(
    `One client per store, shared by 1 or 64 concurrent callers that each await one call at a time, ${r.config.opsDuration} s per run, ${r.config.rounds} rounds (medians), 1,000 sessions of ${int(s.valueBytes)} bytes of JSON. ` +
      "`get`/`set`/`touch` are the stores' own methods: connect-redis GET / SET EX / EXPIRE; @sessionkit/core one script each (set with the user id, so the index is maintained; " +
      'touch unthrottled: the adapters skip most touches, see `touchAfter`). ' +
      `\`${s.redisBenchmarkCommand}\` on the same server is the reference; \`-c 64\` is 64 connections with one request in flight each, as asked; ` +
      '`-c 1 -P 64` is one connection with 64 requests in flight, the shape of one Node client shared by 64 callers (both ioredis and node-redis pipeline concurrent commands on their connection).',
    '',
  );
  const rb = (test: 'GET' | 'SET', connections: number, pipeline: number) =>
    s.redisBenchmark.find((x) => x.test === test && x.connections === connections && x.pipeline === pipeline)?.rps ?? NaN;
  const stores = [...new Set(s.rows.map((x) => x.store))];
  const labels = stores.map((id) => s.rows.find((x) => x.store === id)!.label);
  const rows: (string | number)[][] = [];
  for (const op of ['get', 'set', 'touch'] as const) {
    for (const c of [1, 64]) {
      const test = op === 'get' ? 'GET' : 'SET';
      const ref = rb(test, c === 1 ? 1 : 64, 1);
      const ours = s.rows.find((x) => x.store === 'sessionkit' && x.op === op && x.concurrency === c)?.opsPerSec ?? NaN;
      rows.push([
        `${op}, c=${c}`,
        ...stores.map((id) => int(s.rows.find((x) => x.store === id && x.op === op && x.concurrency === c)?.opsPerSec ?? NaN)),
        `${test} ${int(ref)}`,
        c === 64 ? `${test} ${int(rb(test, 1, 64))}` : '',
        times(ours / ref),
      ]);
    }
  }
  out.push(table(['operation', ...labels, 'redis-benchmark -c 1 / -c 64', 'redis-benchmark -c 1 -P 64', '@sessionkit / redis-benchmark'], rows), '');
  out.push(
    "Where the time goes, per operation (medians): Redis CPU = CPU time of Redis's main thread (commands and socket I/O); in commands = commandstats time of the top-level commands; Node CPU = CPU time of the benchmark process (user + system).",
    '',
    table(
      ['operation', ...labels.map((l) => `${l}: Redis CPU / in commands / Node CPU (µs), commands`)],
      (['get', 'set', 'touch'] as const).flatMap((op) =>
        [1, 64].map((c) => [
          `${op}, c=${c}`,
          ...stores.map((id) => {
            const x = s.rows.find((y) => y.store === id && y.op === op && y.concurrency === c);
            return x ? `${dec(x.redisCpuUsPerOp, 1)} / ${dec(x.redisUsPerOp, 1)} / ${dec(x.nodeUsPerOp, 1)}, ${dec(x.commandsPerOp, 2)}` : '';
          }),
        ]),
      ),
    ),
    '',
  );
  return out.join('\n');
}

function latencySection(r: BenchResults): string {
  const lat = r.latency!;
  const c = lat.http;
  const mem = httpRow(c, 'memory', '/read');
  const cr9 = httpRow(c, 'connect-redis9', '/read');
  const out: string[] = ['## 7. Latency with a real network in between', ''];
  out.push(
    `The Express read path again, but the app servers reach Redis through \`bench/delay-proxy.ts\`, which holds every chunk ${lat.delayMs} ms in each direction (order preserved; PING through it: ${dec(lat.pingMs)} ms). ` +
      `autocannon sends a fixed ${int(c.rate ?? 0)} req/s over ${c.connections} connections for ${c.duration} s per run (${c.rounds} rounds, medians), far below saturation, so the numbers are network plus work, not queueing. ` +
      'Percentiles are exact, over every response time of the run.',
    '',
    table(
      ['store', 'p50', 'p99', 'added over MemoryStore (p50)', 'added (p99)', 'added vs connect-redis 9 (p50)', 'Redis round trips/req'],
      c.rows.map((x) => [
        x.store === 'sessionkit' ? `**${x.label}**` : x.label,
        ms(x.p50),
        ms(x.p99),
        mem && x.store !== 'memory' ? `+${ms(x.p50 - mem.p50)}` : '-',
        mem && x.store !== 'memory' ? `+${ms(x.p99 - mem.p99)}` : '-',
        mem && cr9 && x.store !== 'memory' ? times((x.p50 - mem.p50) / (cr9.p50 - mem.p50)) : '-',
        x.store === 'memory' ? '0' : dec(x.commandsPerRequest, 3),
      ]),
    ),
    '',
  );
  if (lat.logout.length) {
    out.push(
      'Logout-everywhere through the same proxy:',
      '',
      table(
        ['sessions', 'method', 'time', 'round trips', 'faster than naive'],
        lat.logout.map((x: LogoutRun) => {
          const naive = lat.logout.find((y) => y.method === 'naive' && y.sessions === x.sessions);
          return [
            int(x.sessions),
            x.method === 'sessionkit' ? '**@sessionkit**' : x.method === 'naive' ? 'naive (one by one)' : 'naive, pipelined',
            ms(x.ms),
            int(x.roundTrips),
            naive && x.method !== 'naive' ? times(naive.ms / x.ms, 1) : '',
          ];
        }),
        ['r', 'l', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Markdown

export function renderMarkdown(r: BenchResults, targets: Target[], chartPath: string): string {
  const m = r.meta;
  const c = r.config;
  const rel = relative(dirname(c.out), chartPath).split('\\').join('/');
  const out: string[] = [];
  out.push(
    '# Benchmarks',
    '',
    `Generated by \`${m.command}\` on ${m.date} in ${dec(m.seconds / 60, 1)} minutes. ` +
      'Every comparison runs side by side, on one redis-server started for the run, in one run; numbers are medians over repeated rounds and are meant to be read as ratios: ' +
      'absolute figures depend on the machine (see [Notes on this machine](#notes-on-this-machine)).',
    '',
  );
  if (c.quick) out.push('> **Quick mode**: tiny durations and sizes, for the smoke test only. These numbers are not representative.', '');
  out.push(`![SessionKit benchmarks](${rel})`, '');
  out.push(
    '## Targets',
    '',
    table(
      ['area', 'target', 'measured', 'result', 'note'],
      targets.map((t) => [t.area, t.target, t.measured, mark(t.met, t.informational), t.note]),
      ['l', 'l', 'l', 'l', 'l'],
    ),
    '',
    'What the missed targets would need is under [Findings](#findings).' +
      (targets.some((t) => t.informational) ? ' Rows "for information" are figures no target was set for (Koa, React Router): never met or missed.' : ''),
    '',
  );
  out.push(
    '## Machine',
    '',
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores (shared by redis-server, the app server and the load generator)`],
        ['Memory', `${dec(m.memoryGb, 1)} GB`],
        ['OS', m.os],
        ['Node.js', m.node],
        ['Redis', `${m.redis} (redis-server started by the bench: no persistence, default settings)`],
        ['Load average (1 min) at start / end', `${dec(m.loadStart[0] ?? NaN)} / ${dec(m.loadEnd[0] ?? NaN)}`],
        [
          'Packages',
          Object.entries(m.packages)
            .map(([k, v]) => `${k} ${v}`)
            .join(', '),
        ],
        ['Date', m.date],
      ],
      ['l', 'l'],
    ),
    '',
  );
  if (r.fixedRate) out.push(fixedRateSection(r));
  if (r.express) {
    out.push(
      httpSection(
        r.express,
        '2. Express 5 + express-session: throughput',
        `\`resave: false\`, \`saveUninitialized: false\`, cookie \`maxAge\` 1 day. The app runs in a child process; autocannon (in the parent) uses ${r.express.connections} connections for ${r.express.duration} s per run ` +
          `after ${c.warmup} s of warm-up, ${r.express.rounds} rounds, each round visiting every store in a rotated order. ${int(r.express.sessions)} users log in first; every request carries the next of their ` +
          `${int(r.express.sessions)} session cookies, so concurrent requests use different sessions. **Read path**: \`GET /read\` reads the session (express-session then calls \`get\` and \`touch\`). ` +
          '**Write path**: `GET /write` increments a counter (`get` and `set`). connect-redis 9 runs on node-redis 5 (it supports nothing else), connect-redis 8 and SessionKit on ioredis 5. ' +
          '`@sessionkit/express, touchAfter: 0` is SessionKit with touch throttling off: the cost of a request whose touch is due. ' +
          'These are saturated runs: req/s here is what the store leaves of a shared machine and moves between rounds; the CPU per request the targets use is in section 1.',
      ),
    );
  }
  if (r.fastify) {
    out.push(
      httpSection(
        r.fastify,
        '3. Fastify 5 + @fastify/session: throughput',
        '@fastify/session defaults (`rolling: true`, `saveUninitialized: true`, no `maxAge`), so every request with a session calls `get` and then `set`; only `cookie.secure` is off because the bench speaks plain HTTP. ' +
          `Same method as above (${r.fastify.connections} connections, ${r.fastify.duration} s, ${r.fastify.rounds} rounds). On the read path the session is loaded and saved unchanged: ` +
          'connect-redis writes it back with SET EX; SessionKit sees `isModified() === false` and only slides the expiry, at most once per `touchAfter`.',
      ),
    );
  }
  if (r.express || r.fastify || r.memory) out.push(costSection(r));
  if (r.logout) out.push(logoutSection(r));
  if (r.storeOps) out.push(storeOpsSection(r));
  if (r.latency) out.push(latencySection(r));
  out.push(findings(r, targets));
  out.push(
    '## How to reproduce',
    '',
    '```sh',
    'npm run bench                  # builds the packages, then runs every section (about 30 minutes)',
    'BENCH_QUICK=1 npm run bench    # seconds-long smoke run; writes to a temp directory unless BENCH_OUT is set',
    'BENCH_ONLY=fixed-rate,logout npm run bench   # some sections: fixed-rate, express, fastify, memory, logout, store-ops, latency',
    'BENCH_ONLY=fixed-rate BENCH_FIXED_FRAMEWORKS=koa,react-router npm run bench   # section 1 for some frameworks only',
    'npm run bench -- --report-from=.tmp/bench/results.json   # this file and the chart again from the last full run, without measuring',
    'npm run bench:profile -- express sessionkit /write 20 500   # a CPU profile (node --cpu-prof) of one app at 500 req/s, by package and function',
    'npm run bench:script-cost      # what a save script costs Redis against a plain SET, hot and paced (INFO commandstats)',
    '```',
    '',
    'Every setting has an environment variable: `BENCH_OUT` (this file), `BENCH_CHART`, `BENCH_JSON` (raw results), `BENCH_ROUNDS`, `BENCH_DURATION`, `BENCH_WARMUP`, ' +
      '`BENCH_CONNECTIONS`, `BENCH_SESSIONS`, `BENCH_MEMORY_SESSIONS`, `BENCH_LOGOUT_SIZES` (comma separated), `BENCH_LOGOUT_REPS`, `BENCH_CHUNK_SIZES`, `BENCH_OPS_DURATION`, ' +
      '`BENCH_RB_REQUESTS`, `BENCH_RATE`, `BENCH_DELAY_MS`, `BENCH_LATENCY_DURATION`, `BENCH_LATENCY_ROUNDS`, `BENCH_COUNT_REQUESTS`; for section 1 `BENCH_FIXED_FRAMEWORKS` (comma separated: express, fastify, koa, react-router; all four by default), `BENCH_FIXED_RATE`, `BENCH_FIXED_DURATION`, `BENCH_FIXED_WARMUP`, `BENCH_FIXED_ROUNDS`, `BENCH_FIXED_CONNECTIONS`, `BENCH_FIXED_IDLE`, `BENCH_FIXED_WARMUP_REQUESTS`, `BENCH_FIXED_COUNT_REQUESTS`. Needs `redis-server` and `redis-benchmark` (found like the tests find them: `SESSIONKIT_REDIS_SERVER`, then `PATH`).',
    '',
    `This run: section 1 at ${int(c.fixedRate?.rate ?? NaN)} req/s, ${c.fixedRate?.duration ?? 'n/a'} s per run after ${c.fixedRate?.warmup ?? 'n/a'} s, ${c.fixedRate?.rounds ?? 'n/a'} rounds; ` +
      `${c.rounds} rounds, ${c.duration} s per saturated HTTP run after ${c.warmup} s of warm-up, ${c.connections} connections, ${int(c.sessions)} sessions, ` +
      `${int(c.memorySessions)} sessions for memory, logout sizes ${c.logoutSizes.map(int).join(' / ')} (${c.logoutReps} repetitions), chunk sizes ${c.chunkSizes.join(' / ')}, ` +
      `${c.opsDuration} s per store-operation run, ${int(c.rate)} req/s and ${c.delayMs} ms each way for latency.`,
    '',
    'Files: `bench/run.ts` (entry), `bench/config.ts`, `bench/app-server.ts` (the apps, one child process per store; Koa and React Router in `bench/apps/`), `bench/fixed-rate.ts` and `bench/paced-load.ts` (section 1), `bench/http-load.ts` and `bench/http-compare.ts` (autocannon, rounds, medians), ' +
      '`bench/http-express.ts`, `bench/http-fastify.ts`, `bench/redis-cost.ts` (memory), `bench/logout.ts`, `bench/store-ops.ts`, `bench/delay-proxy.ts`, `bench/latency.ts`, ' +
      '`bench/stores.ts` (the stores compared), `bench/session-data.ts`, `bench/util.ts`, `bench/targets.ts`, `bench/report.ts`, `bench/chart.ts`, `bench/format.ts`, ' +
      '`bench/results.ts` (the shape of the results), `bench/test/smoke.test.ts` (runs everything in quick mode) and `bench/test/fixed-rate-frameworks.test.ts` (section 1 for Koa and React Router in quick mode).',
    '',
  );
  out.push(notes(r));
  return out.join('\n');
}

function findings(r: BenchResults, targets: Target[]): string {
  const out: string[] = ['## Findings', ''];
  const measured = targets.filter((t) => t.met !== null);
  const missed = measured.filter((t) => t.met === false);
  out.push(
    missed.length
      ? `${missed.length} of ${measured.length} targets missed in this run.`
      : measured.length
        ? 'Every target measured in this run was met.'
        : 'No target was measured in this run.',
    '',
  );
  for (const c of [r.fixedRate?.express, r.fixedRate?.fastify]) {
    if (!c) continue;
    const fw = c.framework === 'express' ? 'Express' : 'Fastify';
    const parts: string[] = [];
    for (const path of ['/read', '/write'] as const) {
      const sk = fixedRow(c, 'sessionkit', path);
      const sknr = fixedRow(c, 'sessionkit-node-redis', path);
      const cr9 = fixedRow(c, 'connect-redis9', path);
      const cr8 = fixedRow(c, 'connect-redis8', path);
      const mem = fixedRow(c, 'memory', path);
      if (!sk || !cr8) continue;
      const cpu = (x: FixedRateRow) => `${int(x.totalCpuUs)} µs (app ${int(x.appCpuUs)} + Redis ${dec(x.redisCpuUs, 1)})`;
      parts.push(
        `${path === '/read' ? 'Read' : 'Write'} path: SessionKit on ioredis ${cpu(sk)} per request against ${cpu(cr8)} for connect-redis 8 on the same client (${times(sk.totalCpuUs / cr8.totalCpuUs)})` +
          (cr9 ? ` and ${cpu(cr9)} for connect-redis 9 on node-redis; Redis CPU ${times(sk.redisCpuUs / cr9.redisCpuUs)} connect-redis 9's` : '') +
          (sknr && cr9 ? `; on node-redis, the same client as connect-redis 9, ${cpu(sknr)} (${times(sknr.totalCpuUs / cr9.totalCpuUs)})` : '') +
          (mem ? `. The app alone with MemoryStore: ${int(mem.appCpuUs)} µs` : '') +
          '.',
      );
    }
    const skipped = c.skipped.map((x) => `${x.label} was not run (${x.reason})`).join('; ');
    if (parts.length) out.push(`- **${fw}, CPU per request at ${int(c.rate)} req/s (section 1).** ${parts.join(' ')}${skipped ? ` ${skipped}.` : ''}`);
  }
  for (const c of [r.fixedRate?.koa, r.fixedRate?.['react-router']]) {
    if (!c) continue;
    const koa = c.framework === 'koa';
    const cpu = (x: FixedRateRow) => `${int(x.totalCpuUs)} µs (app ${int(x.appCpuUs)}${x.client === 'none' ? '' : ` + Redis ${dec(x.redisCpuUs, 1)}`})`;
    const sent = (x: FixedRateRow) =>
      `${dec(x.commandsPerRequest, 2)} command${x.commandsPerRequest === 1 ? '' : 's'} per request (${sentNames(x.runs[0]?.byCommand)})`;
    const parts: string[] = [];
    for (const path of ['/read', '/write'] as const) {
      const sk = fixedRow(c, 'sessionkit', path);
      const sknr = fixedRow(c, 'sessionkit-node-redis', path);
      const peer = fixedRow(c, koa ? 'koa-redis' : 'cookie', path);
      const floor = fixedRow(c, koa ? 'cookie' : 'memory', path);
      const plain = koa ? fixedRow(c, 'koa-redis-no-rolling', path) : undefined;
      if (!sk || !peer) continue;
      const what = path === '/read' ? 'Read' : 'Write';
      parts.push(
        koa
          ? `${what} path: @sessionkit/koa on ioredis ${cpu(sk)} and ${sent(sk)} against ${cpu(peer)} and ${sent(peer)} for koa-redis (${times(sk.totalCpuUs / peer.totalCpuUs)}; Redis CPU ${times(sk.redisCpuUs / peer.redisCpuUs)})` +
              (sknr ? `; on node-redis ${cpu(sknr)} and ${sent(sknr)}` : '') +
              (plain ? `; koa-redis with koa-session's default \`rolling: false\` (no slide) ${cpu(plain)} and ${sent(plain)}` : '') +
              (floor ? `. koa-session's cookie session (no store): ${cpu(floor)}` : '') +
              '.'
          : `${what} path: @sessionkit/react-router on ioredis ${cpu(sk)} and ${sent(sk)} against ${cpu(peer)} for createCookieSessionStorage, the ceiling that keeps nothing server-side (${times(sk.totalCpuUs / peer.totalCpuUs)})` +
              (sknr ? `; on node-redis ${cpu(sknr)} and ${sent(sknr)}` : '') +
              (floor ? `; createMemorySessionStorage ${cpu(floor)}` : '') +
              '.',
      );
    }
    const why = koa
      ? ' With `rolling: true` koa-session saves the unchanged session on every response: koa-redis writes it back (SETEX), SessionKit sees `changed: false` and only slides the expiry, once per `touchAfter`. A write is the load and one save script, index included.'
      : ' `getSession` is the one GET; a loader that does not commit sends nothing else, and a commit of a changed session is one save script, index included.';
    const skipped = c.skipped.map((x) => `${x.label} was not run (${x.reason})`).join('; ');
    if (parts.length)
      out.push(
        `- **${FIXED_RATE_FRAMEWORK_INFO[c.framework].name}, CPU per request at ${int(c.rate)} req/s (section 1).** ${parts.join(' ')}${why}${skipped ? ` ${skipped}.` : ''}`,
      );
  }
  if (r.fixedRate?.express || r.fixedRate?.fastify)
    out.push(
      "- **Where a save's Redis CPU goes.** On every framework the write path's gap to connect-redis is Redis running the save script, not the app: " +
        'in a side-by-side run of the app alone (`bench:profile`, and app CPU in section 1 within the round-to-round spread of connect-redis 8 on the same client), and in `npm run bench:script-cost`, which asks Redis itself (INFO commandstats). ' +
        'Measured there on this machine (2026-12-02, Redis 7.0, medians of 5 rounds): a plain SET of the record costs Redis 1.1 µs hot (calls back to back) and 9.4 µs paced (one call every 2 ms, as at a few hundred requests per second, where every call starts on cold caches); ' +
        'an EVALSHA of a script that only returns, with the same keys and arguments, 2.5 and 18.9 µs; the save script 23.4 and 101 µs. ' +
        'Its five inner commands (TIME, GETRANGE, SET, ZADD, PEXPIREAT) are a few µs of that; the rest is running Lua at all: the call, its arguments, the helpers it defines on each call, the header parse. ' +
        'The same body as a Redis function (FCALL, helpers defined once at load) cost 16.3 and 84.8 µs: the next lever, not taken yet because functions persist in the RDB and replicate, which changes deployment (one library per release to load and to clean up). ' +
        'Skipping the index PEXPIREAT when the expiry has not moved saved about 2 µs hot and nothing measurable paced, so the index keeps its exact expiry.',
    );
  for (const c of [r.express, r.fastify]) {
    if (!c) continue;
    const fw = c.framework === 'express' ? 'Express' : 'Fastify';
    const ours = httpRow(c, 'sessionkit', '/read');
    const mem = httpRow(c, 'memory', '/read');
    const peer = fasterPeer(c, '/read');
    const t0 = httpRow(c, 'sessionkit-touch0', '/read');
    if (!ours || !mem || !peer) continue;
    const peers = c.rows.filter((x) => x.path === '/read' && x.store.startsWith('connect-redis'));
    const bestRedis = Math.max(...c.rows.filter((x) => x.path === '/read' && x.store !== 'memory').map((x) => x.rps));
    out.push(
      `- **${fw} read path.** SessionKit makes ${dec(ours.commandsPerRequest, 2)} Redis round trips per request against ${peers.map((p) => `${dec(p.commandsPerRequest, 2)} for ${p.label}`).join(' and ')}: ` +
        (c.framework === 'express'
          ? 'the touch that express-session asks for on every request is skipped while the stored expiry is less than `touchAfter` (60 s) old'
          : '@fastify/session saves the unchanged session on every request (rolling), and SessionKit turns that save into an expiry slide, skipped while the stored expiry is less than `touchAfter` (60 s) old') +
        `${t0 ? `; with \`touchAfter: 0\` it is ${dec(t0.commandsPerRequest, 2)}, like connect-redis` : ''}. ` +
        `Throughput: ${times(ours.rps / peer.rps)} the faster connect-redis, ${times(ours.rps / mem.rps)} MemoryStore. ` +
        `App server CPU per request, the steadier measure of what a store costs the app: ${int(ours.serverCpuUsPerRequest)} µs for SessionKit, ${peers.map((p) => `${int(p.serverCpuUsPerRequest)} µs for ${p.label}`).join(', ')}, ${int(mem.serverCpuUsPerRequest)} µs for MemoryStore. ` +
        `Redis CPU per request: ${dec(ours.redisCpuUsPerRequest, 1)} µs for SessionKit (${sentNames(ours.runs[0]?.byCommand)}, plus a touch script once a minute per session) against ${dec(peer.redisCpuUsPerRequest, 1)} µs for ${peer.label} (GET + EXPIRE). ` +
        `With ${c.connections} connections on loopback the server is CPU-bound, not waiting on Redis, so the saved round trip buys little throughput here (it shows in section 7); ` +
        `what decides is the CPU each store takes from the ${r.meta.cores} cores the server, Redis and the load generator share. ` +
        (ours.rps / mem.rps >= 0.97
          ? ''
          : `Against MemoryStore (no I/O at all) the gap is the Redis call: the client's CPU for the command and reply, Redis's CPU, and the JSON; the best Redis store here reaches ${times(bestRedis / mem.rps)} MemoryStore. `) +
        (ours.rps / peer.rps >= 1
          ? ''
          : `The read is already one plain command; the remaining difference (${pct(ours.rps / peer.rps)}) is the Node side of reading and decoding a record against the second command connect-redis sends, and is within this machine's round-to-round spread (see the runs above).`),
    );
    const w = httpRow(c, 'sessionkit', '/write');
    const pw = fasterPeer(c, '/write');
    if (w && pw) {
      out.push(
        `- **${fw} write path.** Each save is one script (1 round trip, index included), as many round trips as connect-redis's SET. The script does more work: Redis CPU ${dec(w.redisCpuUsPerRequest, 1)} µs per request ` +
          `against ${dec(pw.redisCpuUsPerRequest, 1)} µs for ${pw.label} (the record, its owner's index and its expiry in one atomic step: ` +
          `${dec(w.executedPerRequest, 1)} commands executed per request against ${dec(pw.executedPerRequest, 1)}; inside a script each costs Redis a microsecond or two on top of the command). ` +
          `App server CPU per request: ${int(w.serverCpuUsPerRequest)} µs against ${int(pw.serverCpuUsPerRequest)} µs (the store's own work for the load and the save, and a script call, where connect-redis sends GET and SET). Throughput: ${times(w.rps / pw.rps)} ${pw.label}.` +
          (w.rps / pw.rps >= 1
            ? ''
            : ' That work is what the index and the revocation guarantees cost: connect-redis overwrites one string and keeps no index, so a logout-everywhere or a device list is impossible with it. ' +
              "Section 1 gives what it costs per request at a fixed rate, where the machine's noise does not decide."),
      );
    }
  }
  const s = r.storeOps;
  if (s) {
    const find = (store: string, op: string) => s.rows.find((x) => x.store === store && x.op === op && x.concurrency === 64);
    const [get, set, touch, crget, crset] = [
      find('sessionkit', 'get'),
      find('sessionkit', 'set'),
      find('sessionkit', 'touch'),
      find('connect-redis8', 'get'),
      find('connect-redis8', 'set'),
    ];
    const cr9get = find('connect-redis9', 'get');
    const rbGet = s.redisBenchmark.find((x) => x.test === 'GET' && x.connections === 64 && x.pipeline === 1)?.rps;
    if (get && set && touch && crget && crset) {
      out.push(
        `- **Store operations.** Redis CPU per operation at concurrency 64: SessionKit get ${dec(get.redisCpuUsPerOp, 1)} µs, set ${dec(set.redisCpuUsPerOp, 1)} µs, touch ${dec(touch.redisCpuUsPerOp, 1)} µs; ` +
          `connect-redis GET ${dec(crget.redisCpuUsPerOp, 1)} µs, SET ${dec(crset.redisCpuUsPerOp, 1)} µs. Node CPU: ${dec(get.nodeUsPerOp, 1)} / ${dec(set.nodeUsPerOp, 1)} / ${dec(touch.nodeUsPerOp, 1)} µs against ` +
          `${dec(crget.nodeUsPerOp, 1)} / ${dec(crset.nodeUsPerOp, 1)}. SessionKit's get is one plain command (${times(get.redisCpuUsPerOp / crget.redisCpuUsPerOp, 1)} the Redis CPU of connect-redis's GET); set and touch are Lua scripts, ` +
          'and inside a script each `redis.call` goes through the full command path with its arguments and reply converted to Lua values and back (about a microsecond or two each here, on top of the command), which is why they cost Redis several times a plain SET. ' +
          'redis-benchmark `-c 64` (64 connections, one request each) is not a hard ceiling for one Node client: one pipelined connection (`-P 64`) does far more' +
          (cr9get && rbGet && cr9get.opsPerSec > rbGet
            ? `, and connect-redis 9 on node-redis (which writes the commands issued in one tick together) does ${int(cr9get.opsPerSec)} GETs/s, more than \`-c 64\`'s ${int(rbGet)}.`
            : '.'),
      );
    }
  }
  if (r.memory) {
    const ours = r.memory.find((x) => x.label === '@sessionkit, 1 session per user');
    const ten = r.memory.find((x) => x.label === '@sessionkit, 10 sessions per user');
    const lp = r.memory.find((x) => x.label.includes('listpack'));
    const hash = ours?.encoding === 'hashtable' || ours?.encoding === 'listpack';
    // The same reference as the memory targets: connect-redis 9 (8 writes the same string).
    const cr = r.memory.find((x) => x.label.startsWith('connect-redis 9')) ?? r.memory.find((x) => x.label.startsWith('connect-redis'));
    if (ours && cr) {
      out.push(
        `- **Memory.** A SessionKit session takes ${int(ours.bytesPerSession)} bytes with one index per session (${ten ? `${int(ten.bytesPerSession)} with 10 sessions per user` : ''}) against connect-redis's ${int(cr.bytesPerSession)} (${times(ours.bytesPerSession / cr.bytesPerSession)}). ` +
          (hash
            ? `Most of the difference is the encoding, not the index: the session is a hash whose data field (the JSON) is longer than Redis's default \`hash-max-listpack-value\` (64 bytes), so Redis stores it as a hash table (${ours.encoding}, ${int(ours.sessionKeyBytes)} B by MEMORY USAGE against ${int(cr.sessionKeyBytes)} B for the string) ` +
              `instead of a compact listpack.${lp ? ` With \`hash-max-listpack-value 1024\` the same session takes ${int(lp.bytesPerSession)} bytes (${lp.encoding}, ${int(lp.sessionKeyBytes)} B).` : ''} `
            : `The session key alone is one string (${ours.encoding}) of ${int(ours.sessionKeyBytes)} B by MEMORY USAGE against ${int(cr.sessionKeyBytes)} B for connect-redis's (${times(ours.sessionKeyBytes / cr.sessionKeyBytes)}): the same JSON plus the record's header; it needs no Redis setting to stay compact. `) +
          `The index costs one sorted set per user: ${ours.indexKeyBytes ? `${int(ours.indexKeyBytes)} B for one member` : ''}${ten?.indexKeyBytes ? `, ${int(ten.indexKeyBytes)} B for ten` : ''}, which is most of what remains at one session per user and is shared at ten.` +
          (hash
            ? ' What would close most of the gap without a Redis setting: keep the record compact, e.g. the whole record as one string with a small header.'
            : ''),
      );
    }
  }
  if (r.logout) {
    const l = r.logout;
    const n = r.config.logoutSizes.includes(10_000) ? 10_000 : Math.max(...r.config.logoutSizes);
    const ours = logoutRow(l, 'sessionkit', n);
    const naive = logoutRow(l, 'naive', n);
    const piped = logoutRow(l, 'naive-pipelined', n);
    const largest = Math.max(...r.config.logoutSizes);
    const big = logoutRow(l, 'sessionkit', largest);
    const proxied = r.latency?.logout;
    const po = proxied?.find((x) => x.method === 'sessionkit' && x.sessions === n);
    const pn = proxied?.find((x) => x.method === 'naive' && x.sessions === n);
    if (ours && naive) {
      out.push(
        `- **Logout-everywhere.** At ${int(n)} sessions SessionKit needs ${int(ours.roundTrips)} round trips against ${int(naive.roundTrips)} and is ${times(naive.ms / ours.ms, 1)} faster than the naive way on loopback` +
          `${piped ? ` (${times(piped.ms / ours.ms, 1)} faster than the pipelined naive way)` : ''}. ` +
          `Its time is Redis work, not round trips: ${dec((ours.redisCpuMs * 1000) / n, 1)} µs of Redis CPU per revoked session (what the revocation scripts do per session, plus each session's share of reading the index), ` +
          `against ${dec((naive.redisCpuMs * 1000) / n, 1)} µs for the naive GET + DEL, most of which is reading and answering 2N separate network messages. ` +
          `On loopback a round trip costs tens of microseconds, so 2N round trips are cheap and 200x is out of reach for any design that touches every session key ` +
          `(a bare UNLINK of ${int(l.unlinkFloorSessions ?? n)} keys, 1,000 per command in one pipeline, took ${ms(l.unlinkFloorMs ?? NaN)}).` +
          (po && pn
            ? ` With ${r.latency!.delayMs} ms each way (section 7) the round trips dominate: ${ms(po.ms)} against ${ms(pn.ms)}, ${times(pn.ms / po.ms, 0)}.`
            : '') +
          ' What would reach 200x on loopback too: make logout O(1) per user, e.g. a per-user revocation timestamp (or generation number) written by logout-everywhere and checked by the GET, SET and TOUCH scripts ' +
          '(a session created before it counts as revoked and refuses writes, which replaces the per-session tombstones), with the index and the session keys removed lazily or left to expire; ' +
          'it would cost every read a second key, which is why SessionKit does not do it.',
      );
    }
    if (big && l.chunks.length) {
      const ok = l.chunks.filter((x) => x.longestCommandMs <= 10).map((x) => x.chunkSize!);
      const perSession = big.redisCpuMs / largest;
      const suggested = Math.max(1, Math.floor(5 / perSession / 50) * 50);
      out.push(
        `- **Blocking.** With the default \`revokeChunkSize\` (${l.defaultChunkSize}) a chunk script costs ${ms(big.redisCpuMs / big.commands)} of Redis CPU on average (${dec(perSession * 1000, 1)} µs per session) and the longest command seen at ${int(largest)} sessions was ${ms(big.longestCommandMs)}. ` +
          `${ok.length ? `Chunk sizes that stayed under 10 ms in this run: ${ok.join(', ')}.` : 'No chunk size tried stayed under 10 ms in this run.'} ` +
          `At this cost per session a chunk of about ${int(suggested)} keeps the average script near 5 ms, which leaves room for scheduler noise on a shared machine; smaller chunks cost more scripts but no extra round trip (they go in one pipeline).`,
      );
    }
  }
  if (r.latency) {
    const c = r.latency.http;
    const mem = httpRow(c, 'memory', '/read');
    const ours = httpRow(c, 'sessionkit', '/read');
    const cr9 = httpRow(c, 'connect-redis9', '/read');
    const cr8 = httpRow(c, 'connect-redis8', '/read');
    if (mem && ours && cr9) {
      out.push(
        `- **Latency.** With ${r.latency.delayMs} ms each way (PING ${dec(r.latency.pingMs)} ms), connect-redis 9 adds ${ms(cr9.p50 - mem.p50)} at the median${cr8 ? ` (connect-redis 8: ${ms(cr8.p50 - mem.p50)})` : ''}: GET, then EXPIRE after the handler, two round trips in sequence. ` +
          `SessionKit adds ${ms(ours.p50 - mem.p50)} (one round trip): ${times((ours.p50 - mem.p50) / (cr9.p50 - mem.p50))} as much. This is where the saved round trip shows. ` +
          'One round trip against two puts the floor at 0.5x; what lies above it is each store\'s own processing per request and the proxy\'s timer resolution (1 ms timers, so "1 ms" is 1 to 1.5 ms), ' +
          'which is why the ratio moves by a few hundredths from run to run.',
      );
    }
  }
  out.push('');
  return out.join('\n');
}

function notes(r: BenchResults): string {
  const m = r.meta;
  return [
    '## Notes on this machine',
    '',
    `- ${m.cores} cores, shared: redis-server, the app server (a child process) and autocannon (the parent) run on the same ${m.cores} cores, and other jobs were running on the machine too ` +
      `(load average ${dec(m.loadStart[0] ?? NaN)} at the start, ${dec(m.loadEnd[0] ?? NaN)} at the end). Absolute req/s are therefore low and noisy; stores are compared side by side, in the same rounds, ` +
      'in rotated order, and the tables show every round so the spread is visible. Ratios are more stable than absolute numbers, but differences of a few percent are within the noise: ' +
      'MemoryStore alone can swing by a quarter from one round to the next. The app server CPU per request does not depend on what else got the cores meanwhile and is the steadier figure of what each store costs the app.',
    '- On such a machine every CPU cycle Redis or the load generator uses is taken from the server, so a store that makes Redis work harder loses throughput even when Redis is not the bottleneck. ' +
      'On a deployment where Redis has its own machine, Redis CPU is not shared with the app and the network round trip matters more (section 7).',
    "- Store operations at concurrency 64 depend on how the callers' commands happen to batch on one socket: SessionKit's get, for one, has measured about 1.7x apart between full runs of the same code, " +
      'with Redis and Node CPU per operation moving together. Compare stores within one run, and read a ratio near a target as "about there".',
    '- SLOWLOG and latency are wall-clock: a process descheduled by the OS in the middle of a command shows up as a slow command. The logout tables also give Redis main-thread CPU time, which does not include such pauses.',
    '- The delay proxy uses Node timers (1 ms resolution), so "1 ms each way" is 1 to 1.5 ms each way; it adds the same delay to every store.',
    '- Throughput runs are closed-loop (each connection sends its next request when the previous one returns); the latency runs are open-loop at a fixed rate, well below saturation.',
    '',
  ].join('\n');
}
