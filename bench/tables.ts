/**
 * The generated part of docs/benchmarks.md: its tables, each between
 * `<!-- bench:table NAME -->` and `<!-- /bench -->`. Everything outside the markers is written
 * by hand and kept as it is. The targets table is hand-written too, but for its `measured` and
 * `result` columns: each row names a figure (or a ratio of two) and states its budget, and the
 * run fills in what it measured. Figures are named by `figures()` below.
 */
import type { BenchConfig, Framework, Section } from './config.js';
import type { FixedRateComparison } from './fixed-rate.js';
import type { HttpComparison, Path } from './http.js';
import type { LatencyResult } from './latency.js';
import type { LogoutResult, LogoutRun } from './logout.js';
import type { MemoryRow } from './redis-cost.js';
import type { StoreOpsResult } from './store-ops.js';

/** One run's results: what bench/results/latest.json holds. */
export interface BenchResults {
  meta: {
    date: string;
    cpu: string;
    cores: number;
    memoryGb: number;
    os: string;
    node: string;
    redis: string;
    packages: Record<string, string>;
    loadStart: number[];
    loadEnd: number[];
    seconds: number;
    command: string;
  };
  config: BenchConfig;
  sections: Section[];
  fixedRate?: Partial<Record<Framework, FixedRateComparison>>;
  express?: HttpComparison;
  fastify?: HttpComparison;
  memory?: MemoryRow[];
  logout?: LogoutResult;
  storeOps?: StoreOpsResult;
  latency?: LatencyResult;
}

const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const dec = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const times = (n: number, d = 2) => (Number.isFinite(n) ? `${n.toFixed(d)}x` : 'n/a');
const ms = (n: number) => (!Number.isFinite(n) ? 'n/a' : n >= 100 ? `${int(n)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
const bold = (label: string, store: string) => (store === 'sessionkit' || store.startsWith('sessionkit-node') ? `**${label}**` : label);
const pathName = (p: Path) => (p === '/read' ? 'read' : 'write');

/** A Markdown table; the first column left-aligned, the others right-aligned unless `left` says so. */
function table(head: string[], rows: (string | number)[][], left: number[] = [0]): string {
  const align = head.map((_, i) => (left.includes(i) ? '---' : '---:'));
  return [head, align, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** The stores each framework's section 1 tables set the others against. */
const CONNECT_REDIS = ['9', '8'].map((v) => ({ id: `connect-redis${v}`, name: `connect-redis ${v}` }));
const PEERS: Record<Framework, { id: string; name: string }[]> = {
  express: CONNECT_REDIS,
  fastify: CONNECT_REDIS,
  koa: [{ id: 'koa-redis', name: 'koa-redis' }],
  // React Router ships no Redis storage: its cookie storage is the ceiling, not a rival.
  'react-router': [{ id: 'cookie', name: 'createCookieSessionStorage (ceiling)' }],
  // Neither does Hono: hono-sessions' CookieStore (the session encrypted in the cookie) is the ceiling.
  hono: [{ id: 'cookie', name: 'hono-sessions CookieStore (ceiling)' }],
  // Nor does Next: iron-session (the session sealed in the cookie) is the ceiling.
  next: [{ id: 'cookie', name: 'iron-session (ceiling)' }],
};

function fixedTable(c: FixedRateComparison, path: Path): string {
  const rows = c.rows.filter((x) => x.path === path);
  const peers = PEERS[c.framework].map((p) => ({ ...p, row: rows.find((x) => x.store === p.id) }));
  const redisPeers = peers.filter((p) => p.row?.client !== 'none');
  const head = ['store', 'app CPU µs/req', 'Redis CPU µs/req', 'app + Redis µs/req', 'each round (app + Redis)', ...peers.map((p) => `vs ${p.name}`)];
  if (redisPeers.length) head.push(`Redis CPU vs ${redisPeers.map((p) => p.name.replace('connect-redis ', 'cr ')).join(' / ')}`);
  head.push('commands sent/req', 'executed/req', 'req/s achieved', 'p50 / p99');
  const body = rows.map((x) => {
    const none = x.client === 'none';
    const cells = [
      bold(x.label, x.store),
      int(x.appCpuUs),
      none ? '-' : dec(x.redisCpuUs, 1),
      int(x.totalCpuUs),
      x.runs.map((y) => int(y.totalCpuUs)).join(' / '),
    ];
    cells.push(...peers.map((p) => (p.row ? times(x.totalCpuUs / p.row.totalCpuUs) : 'n/a')));
    if (redisPeers.length) cells.push(none ? '-' : redisPeers.map((p) => (p.row ? times(x.redisCpuUs / p.row.redisCpuUs) : 'n/a')).join(' / '));
    cells.push(none ? '0' : dec(x.commandsPerRequest, 3), none ? '0' : dec(x.executedPerRequest, 2), int(x.rps), `${ms(x.p50)} / ${ms(x.p99)}`);
    return cells;
  });
  const out = [table(head, body)];
  const failures = rows.reduce((sum, x) => sum + x.failures, 0);
  if (failures) out.push(`**Warning:** ${failures} non-2xx responses or errors in these runs.`);
  // Requests leave on schedule, so a lower achieved rate means responses queued: a saturated server.
  const behind = rows.filter((x) => x.rps < 0.9 * c.rate).map((x) => x.label);
  if (behind.length) out.push(`**Warning:** ${behind.join(', ')} answered below 90% of ${int(c.rate)} req/s: figures of a saturated server.`);
  return out.join('\n\n');
}

function throughputTable(c: HttpComparison, path: Path): string {
  const rows = c.rows.filter((r) => r.path === path);
  const peers = ['connect-redis9', 'connect-redis8', 'memory'].map((id) => rows.find((r) => r.store === id)).filter((r) => r !== undefined);
  const head = ['store', 'req/s (median)', 'each round', ...peers.map((p) => `vs ${p.store === 'memory' ? 'MemoryStore' : p.label.replace(/ \(.*/, '')}`)];
  head.push('Redis round trips/req', 'app server CPU µs/req', 'Redis CPU µs/req');
  const body = rows.map((r) => [
    r.store === 'sessionkit' ? `**${r.label}**` : r.label,
    int(r.rps),
    r.runs.map((x) => int(x.rps)).join(' / '),
    ...peers.map((p) => times(r.rps / p.rps)),
    r.store === 'memory' ? '0' : dec(r.commandsPerRequest, 3),
    int(r.serverCpuUsPerRequest),
    r.store === 'memory' ? '0' : dec(r.redisCpuUsPerRequest, 1),
  ]);
  const failures = rows.reduce((sum, r) => sum + r.failures, 0);
  return [table(head, body), ...(failures ? [`**Warning:** ${failures} non-2xx responses, errors or timeouts in these runs.`] : [])].join('\n\n');
}

function commandsTable(r: BenchResults): string {
  const rows = [r.express, r.fastify].flatMap((c) =>
    (c?.rows ?? [])
      .filter((x) => x.store !== 'memory')
      .map((x) => {
        const by = Object.entries(x.runs[0]?.byCommand ?? {}).sort((a, b) => b[1] - a[1]);
        return [
          `${c!.framework}: ${x.label}`,
          x.path,
          dec(x.commandsPerRequest, 3),
          by.map(([n, v]) => `${n} ${dec(v, 2)}`).join(', '),
          dec(x.executedPerRequest, 2),
          dec(x.redisCpuUsPerRequest, 1),
        ];
      }),
  );
  return table(
    ['store', 'path', 'sent = round trips/req', 'by command (per request)', 'executed/req (incl. inside scripts)', 'Redis CPU µs/req'],
    rows,
    [0, 1, 3],
  );
}

function memoryTable(rows: MemoryRow[]): string {
  const cr = rows.find((x) => x.id === 'cr9');
  const head = [
    'store',
    'users',
    'bytes per session (index included)',
    'vs connect-redis',
    'session key alone (MEMORY USAGE)',
    'vs connect-redis',
    'encoding',
    'index key',
    'note',
  ];
  const body = rows.map((m) => [
    m.label,
    int(m.users),
    int(m.bytesPerSession),
    times(m.bytesPerSession / (cr?.bytesPerSession ?? NaN)),
    `${int(m.sessionKeyBytes)} B`,
    times(m.sessionKeyBytes / (cr?.sessionKeyBytes ?? NaN)),
    m.encoding,
    m.indexKeyBytes ? `${int(m.indexKeyBytes)} B` : '-',
    m.note ?? '',
  ]);
  return table(head, body, [0, 6, 8]);
}

const methodName = (m: LogoutRun['method']) => (m === 'sessionkit' ? '**@sessionkit**' : m === 'naive' ? 'naive (one by one)' : 'naive, pipelined');
type Timed = Pick<LogoutRun, 'method' | 'sessions' | 'ms'>;
const fasterThanNaive = (all: Timed[], x: Timed) => {
  const naive = all.find((y) => y.method === 'naive' && y.sessions === x.sessions);
  return naive && x.method !== 'naive' ? times(naive.ms / x.ms, 1) : '';
};

function logoutTables(l: LogoutResult): Record<string, string> {
  const head = ['sessions', 'method', 'time', 'faster than naive', 'round trips', 'top-level commands', 'Redis CPU', 'longest single command', 'reps'];
  const rows = l.rows.map((x) => [
    int(x.sessions),
    methodName(x.method),
    ms(x.ms),
    fasterThanNaive(l.rows, x),
    int(x.roundTrips),
    int(x.commands),
    ms(x.redisCpuMs),
    x.longestCommandMs > 0 ? `${ms(x.longestCommandMs)} (${x.longestCommand})` : '< 0.02 ms',
    x.reps,
  ]);
  const chunks = l.chunks.map((c) => [
    c.chunkSize === l.defaultChunkSize ? `${int(c.chunkSize)} (default)` : int(c.chunkSize!),
    ms(c.ms),
    int(c.commands),
    ms(c.redisCpuMs / c.commands),
    ms(c.medianCommandMs),
    ms(c.longestCommandMs),
    c.longestCommandMs <= 10 ? 'yes' : 'no',
  ]);
  const chunkHead = ['revokeChunkSize', 'time', 'scripts', 'Redis CPU per script (avg)', 'median script (SLOWLOG)', 'longest command', '<= 10 ms'];
  return { logout: table(head, rows, [1]), 'logout-chunks': table(chunkHead, chunks) };
}

function storeOpsTables(s: StoreOpsResult): Record<string, string> {
  const rb = (test: string, connections: number, pipeline: number) =>
    s.redisBenchmark.find((x) => x.test === test && x.connections === connections && x.pipeline === pipeline)?.rps ?? NaN;
  const stores = [...new Map(s.rows.map((x) => [x.store, x.label]))];
  const find = (store: string, op: string, c: number) => s.rows.find((x) => x.store === store && x.op === op && x.concurrency === c);
  const lines = (['get', 'set', 'touch'] as const).flatMap((op) => [1, 64].map((c) => ({ op, c, test: op === 'get' ? 'GET' : 'SET' })));
  const ops = lines.map(({ op, c, test }) => [
    `${op}, c=${c}`,
    ...stores.map(([id]) => int(find(id, op, c)?.opsPerSec ?? NaN)),
    `${test} ${int(rb(test, c, 1))}`,
    c === 64 ? `${test} ${int(rb(test, 1, 64))}` : '',
    times((find('sessionkit', op, c)?.opsPerSec ?? NaN) / rb(test, c, 1)),
  ]);
  const cpu = lines.map(({ op, c }) => [
    `${op}, c=${c}`,
    ...stores.map(([id]) => {
      const x = find(id, op, c);
      return x ? `${dec(x.redisCpuUsPerOp, 1)} / ${dec(x.redisUsPerOp, 1)} / ${dec(x.nodeUsPerOp, 1)}, ${dec(x.commandsPerOp, 2)}` : '';
    }),
  ]);
  const labels = stores.map(([, label]) => label);
  return {
    'store-ops': table(['operation', ...labels, 'redis-benchmark -c 1 / -c 64', 'redis-benchmark -c 1 -P 64', '@sessionkit / redis-benchmark'], ops),
    'store-ops-cpu': table(['operation', ...labels.map((l) => `${l}: Redis CPU / in commands / Node CPU (µs), commands`)], cpu),
  };
}

function latencyTables(lat: LatencyResult): Record<string, string> {
  const rows = lat.http.rows;
  const mem = rows.find((x) => x.store === 'memory');
  const cr9 = rows.find((x) => x.store === 'connect-redis9');
  const added = (x: (typeof rows)[number], key: 'p50' | 'p99') => (mem && x !== mem ? `+${ms(x[key] - mem[key])}` : '-');
  const head = ['store', 'p50', 'p99', 'added over MemoryStore (p50)', 'added (p99)', 'added vs connect-redis 9 (p50)', 'Redis round trips/req'];
  const body = rows.map((x) => [
    x.store === 'sessionkit' ? `**${x.label}**` : x.label,
    ms(x.p50),
    ms(x.p99),
    added(x, 'p50'),
    added(x, 'p99'),
    mem && cr9 && x !== mem ? times((x.p50 - mem.p50) / (cr9.p50 - mem.p50)) : '-',
    x === mem ? '0' : dec(x.commandsPerRequest, 3),
  ]);
  const logout = lat.logout.map((x) => [int(x.sessions), methodName(x.method), ms(x.ms), int(x.roundTrips), fasterThanNaive(lat.logout, x)]);
  return { latency: table(head, body), 'latency-logout': table(['sessions', 'method', 'time', 'round trips', 'faster than naive'], logout, [1]) };
}

/**
 * Every figure a target can name, flat: `express.read.sessionkit.total` (section 1: app, redis,
 * total, sent, executed per request), `memory.sk1.bytes` / `.key`, `logout.10000.naive.ms` (ms,
 * trips, longest), `logout.floor.ms`, `logout.at-chunk.trips`, `proxy.logout.10000.sessionkit.ms`,
 * `ops.sessionkit.get.c64` (ops/s), `redis-benchmark.GET.c64`, `latency.sessionkit.added` (p50 over MemoryStore's).
 */
export function figures(r: BenchResults): Record<string, number> {
  const f: Record<string, number> = {};
  const put = (prefix: string, values: Record<string, number>) => {
    for (const [name, value] of Object.entries(values)) f[`${prefix}.${name}`] = value;
  };
  for (const c of Object.values(r.fixedRate ?? {}))
    for (const x of c.rows)
      put(`${c.framework}.${pathName(x.path)}.${x.store}`, {
        app: x.appCpuUs,
        redis: x.redisCpuUs,
        total: x.totalCpuUs,
        sent: x.commandsPerRequest,
        executed: x.executedPerRequest,
      });
  for (const m of r.memory ?? []) put(`memory.${m.id}`, { bytes: m.bytesPerSession, key: m.sessionKeyBytes });
  const l = r.logout;
  for (const x of l?.rows ?? []) put(`logout.${x.sessions}.${x.method}`, { ms: x.ms, trips: x.roundTrips, longest: x.longestCommandMs });
  if (l?.unlinkFloorMs !== undefined) f['logout.floor.ms'] = l.unlinkFloorMs;
  if (l?.atChunkSize) f['logout.at-chunk.trips'] = l.atChunkSize.roundTrips;
  for (const x of r.latency?.logout ?? []) f[`proxy.logout.${x.sessions}.${x.method}.ms`] = x.ms;
  for (const x of r.storeOps?.rows ?? []) f[`ops.${x.store}.${x.op}.c${x.concurrency}`] = x.opsPerSec;
  for (const x of r.storeOps?.redisBenchmark ?? []) if (x.pipeline === 1) f[`redis-benchmark.${x.test}.c${x.connections}`] = x.rps;
  const lat = r.latency?.http.rows ?? [];
  const mem = lat.find((x) => x.store === 'memory');
  for (const x of lat) if (mem && x !== mem) f[`latency.${x.store}.added`] = x.p50 - mem.p50;
  return f;
}

const num = (n: number) => (Math.abs(n) >= 100 ? int(n) : n.toPrecision(3));

/**
 * Fills the `measured` and `result` columns of the hand-written targets table. A row's `figure`
 * is a name from figures() or `A / B`; its `budget` is `<= x`, `>= x` or `-` (for information:
 * no budget was set). A figure this run did not measure leaves the row's measured as "not measured".
 */
export function fillTargets(old: string, f: Record<string, number>): string {
  const lines = old.trim().split('\n');
  const cells = (line: string) => line.split(/\s*\|\s*/).slice(1, -1);
  const head = cells(lines[0]!);
  const col = (name: string) => head.indexOf(name);
  return lines
    .map((line, i) => {
      if (i < 2) return line;
      const row = cells(line);
      const [a, b] = row[col('figure')]!.replace(/`/g, '').split(' / ');
      const value = b === undefined ? f[a!] : (f[a!] ?? NaN) / (f[b] ?? NaN);
      const budget = /^(<=|>=) ([\d.]+)$/.exec(row[col('budget')]!);
      if (value === undefined || !Number.isFinite(value)) {
        row[col('measured')] = 'not measured';
        row[col('result')] = budget ? 'not measured' : 'for information';
      } else {
        row[col('measured')] = b === undefined ? num(value) : `${times(value)} (${num(f[a!]!)} vs ${num(f[b]!)})`;
        const met = budget && (budget[1] === '<=' ? value <= Number(budget[2]) : value >= Number(budget[2]));
        row[col('result')] = !budget ? 'for information' : met ? '**met**' : '**missed**';
      }
      return `| ${row.join(' | ')} |`;
    })
    .join('\n');
}

/** Every generated table this run has figures for, by marker name; the targets table from its old text. */
export function tables(r: BenchResults, old: (name: string) => string): Record<string, string> {
  const m = r.meta;
  const out: Record<string, string> = {
    machine: table(
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
        ['Run', `\`${m.command}\` on ${m.date}, ${dec(m.seconds / 60, 1)} minutes`],
      ],
      [0, 1],
    ),
    targets: fillTargets(old('targets'), figures(r)),
  };
  for (const c of Object.values(r.fixedRate ?? {})) for (const p of ['/read', '/write'] as const) out[`fixed-${c.framework}-${pathName(p)}`] = fixedTable(c, p);
  for (const c of [r.express, r.fastify])
    if (c) for (const p of ['/read', '/write'] as const) out[`throughput-${c.framework}-${pathName(p)}`] = throughputTable(c, p);
  if (r.express || r.fastify) out.commands = commandsTable(r);
  if (r.memory) out.memory = memoryTable(r.memory);
  if (r.logout) Object.assign(out, logoutTables(r.logout));
  if (r.storeOps) Object.assign(out, storeOpsTables(r.storeOps));
  if (r.latency) Object.assign(out, latencyTables(r.latency));
  return out;
}

const REGION = /<!-- bench:table ([\w-]+) -->\n[\s\S]*?<!-- \/bench -->/g;

/**
 * Rewrites the marked regions of `doc` this run has tables for, and leaves every other byte as
 * it was. Returns the new text and the names of the regions it rewrote.
 */
export function fillDoc(doc: string, r: BenchResults): { text: string; rewritten: string[] } {
  const inner = (name: string) => doc.match(new RegExp(`<!-- bench:table ${name} -->\\n([\\s\\S]*?)\\n<!-- /bench -->`))?.[1] ?? '';
  const generated = tables(r, inner);
  const rewritten: string[] = [];
  const text = doc.replace(REGION, (whole, name: string) => {
    if (generated[name] === undefined) return whole;
    rewritten.push(name);
    return `<!-- bench:table ${name} -->\n${generated[name]}\n<!-- /bench -->`;
  });
  return { text, rewritten };
}
