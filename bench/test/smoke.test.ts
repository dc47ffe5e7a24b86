/**
 * Runs the whole benchmark in quick mode (tiny durations and sizes) end to end, into a
 * temporary directory holding a copy of docs/benchmarks.md, and checks the results and what
 * the run did to the copy: every marked table rewritten, every hand-written line kept. No
 * assertion depends on timing: only on counts (requests served, round trips, commands) and on
 * shape. The committed docs/benchmarks.md and bench/results/latest.json are never written.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_SECTIONS, loadConfig } from '../config.js';
import { runBench, type RunOutput } from '../run.js';
import { rootDir } from '../util.js';
import { expectFixedRate, tableRows } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-bench-smoke-'));
const docs = join(rootDir, 'docs', 'benchmarks.md');
const committed = [docs, join(rootDir, 'bench', 'results', 'latest.json')];
const positive = (n: number) => Number.isFinite(n) && n > 0;
/** The doc with every marked region emptied: what is written by hand. */
const prose = (md: string) => md.replace(/(<!-- bench:table [\w-]+ -->\n)[\s\S]*?(<!-- \/bench -->)/g, '$1$2');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench, quick mode', () => {
  let run: RunOutput;
  const before = committed.map((f) => (existsSync(f) ? statSync(f).mtimeMs : null));
  const quick = loadConfig([], { quick: true });
  const config = loadConfig([], {
    quick: true,
    sections: ALL_SECTIONS,
    out: join(dir, 'benchmarks.md'),
    json: join(dir, 'results.json'),
    // Koa, React Router and Hono have a file of their own (fixed-rate-frameworks.test.ts), Next too (fixed-rate-next.test.ts): more
    // app processes here would add their start-up to the slowest test of the suite.
    fixedRate: { ...quick.fixedRate, frameworks: ['express', 'fastify'] },
  });
  copyFileSync(docs, config.out);
  const original = readFileSync(docs, 'utf8');

  // Mostly app start-up (ten app processes); measured at 1.5-3.5 minutes with the 2 cores at a
  // load average of 15-20, so the limit leaves room for a busier machine still.
  it('runs every section and writes the raw results as JSON', { timeout: 300_000 }, async () => {
    run = await runBench(config, () => {});
    const saved = JSON.parse(readFileSync(config.json, 'utf8'));
    expect(saved.meta.command).toBe('BENCH_QUICK=1 npm run bench');
    for (const key of ['fixedRate', 'express', 'fastify', 'memory', 'logout', 'storeOps', 'latency']) expect(saved[key], key).toBeDefined();
    // Raw per-round figures, not only medians.
    expect(saved.fixedRate.express.rows[0].runs).toHaveLength(config.fixedRate.rounds);
    expect(committed.map((f) => (existsSync(f) ? statSync(f).mtimeMs : null))).toEqual(before);
  });

  it('rewrites the tables between the markers and keeps every hand-written line', () => {
    const md = readFileSync(config.out, 'utf8');
    expect(md).toBe(run.markdown);
    expect(prose(md)).toBe(prose(original));
    const regions = [...original.matchAll(/<!-- bench:table ([\w-]+) -->\n/g)].map((m) => m[1]);
    // Every region but Koa's, React Router's, Hono's and Next's section 1 tables, which this run did not measure.
    expect(run.rewritten.sort()).toEqual(regions.filter((r) => !/^fixed-(koa|react-router|hono|next)-/.test(r!)).sort());
    expect(md).not.toBe(original);
    expect(md).toContain('`BENCH_QUICK=1 npm run bench` on');
    for (const name of run.rewritten) {
      const body = new RegExp(`<!-- bench:table ${name} -->\\n([\\s\\S]*?)\\n<!-- /bench -->`).exec(md)![1]!;
      expect(body, name).toMatch(/^\| .* \|\n\| (---:?|:?---) /);
      if (name !== 'targets') expect(body, name).not.toMatch(/NaN|undefined|Infinity/);
    }
  });

  it('fills in every target it measured, keeps its budget, and leaves the ones quick mode cannot measure as such', () => {
    const rows = tableRows(run.markdown, 'targets');
    expect(rows).toHaveLength(tableRows(original, 'targets').length);
    for (const [area, target, figure, budget, measured, result] of rows) {
      const what = `${area}: ${target}`;
      expect(figure, what).toMatch(/^`[\w./ -]+`$/);
      // Not measured here: Koa, React Router, Hono and Next (the other test files), and logout at 10,000
      // and 100,000 sessions (quick mode logs out 10 and 100).
      if (/`(koa|react-router|hono|next)\.|\.(10000|100000)\./.test(figure!)) {
        expect(measured, what).toBe('not measured');
        continue;
      }
      expect(measured, what).not.toBe('not measured');
      if (budget === '-') expect(result, what).toBe('for information');
      else expect(result, what).toMatch(/^\*\*(met|missed)\*\*$/);
    }
  });

  it('serves every HTTP run without failures and counts Redis commands per request', () => {
    for (const c of [run.results.express!, run.results.fastify!, run.results.latency!.http]) {
      expect(c.rows.length).toBeGreaterThanOrEqual(3);
      for (const row of c.rows) {
        const what = `${c.framework} ${row.label} ${row.path}`;
        expect(row.failures, what).toBe(0);
        expect(row.runs.every((r) => r.requests > 0)).toBe(true);
        expect(positive(row.rps)).toBe(true);
        expect(row.serverCpuUsPerRequest, what).toBeGreaterThan(0);
        expect(Number.isFinite(row.p50) && row.p50 >= 0).toBe(true);
        if (row.store === 'memory') expect(row.commandsPerRequest).toBe(0);
        else expect(row.commandsPerRequest, what).toBeGreaterThan(0.5);
      }
      // The read path: SessionKit skips the touch (throttled), connect-redis sends GET + EXPIRE/SET.
      expect(c.rows.find((r) => r.store === 'sessionkit' && r.path === '/read')!.commandsPerRequest).toBeLessThan(1.6);
      expect(c.rows.find((r) => r.store === 'connect-redis8' && r.path === '/read')!.commandsPerRequest).toBeGreaterThan(1.5);
    }
  });

  it('runs section 1 for every store, both paths, and counts the commands of each request by store', () => {
    for (const framework of ['express', 'fastify'] as const) {
      const c = run.results.fixedRate![framework]!;
      expect(Number.isFinite(c.idle.redisUsPerSecond)).toBe(true);
      expectFixedRate(c, config);
      // Each request loads its session; a write also saves it (connect-redis: GET + SET; on the
      // read path connect-redis also sends EXPIRE or SET, SessionKit nothing while the touch is not due).
      for (const row of c.rows.filter((r) => r.client !== 'none')) {
        const expected = row.path === '/write' || !row.store.startsWith('sessionkit') ? 2 : 1;
        expect(row.commandsPerRequest, `${framework} ${row.label} ${row.path}`).toBeCloseTo(expected, 1);
      }
    }
  });

  it('measures memory per session, the round trips of logout-everywhere, and store operations', () => {
    const memory = run.results.memory!;
    expect(memory.map((m) => m.id)).toEqual(['cr9', 'cr8', 'sk1', 'sk10']);
    for (const m of memory) expect(m.bytesPerSession, m.label).toBeGreaterThan(50);
    expect(memory.filter((m) => m.id.startsWith('sk')).every((m) => (m.indexKeyBytes ?? 0) > 0)).toBe(true);

    const l = run.results.logout!;
    for (const n of config.logoutSizes) {
      const find = (method: string) => l.rows.find((r) => r.method === method && r.sessions === n)!;
      expect(find('sessionkit').roundTrips).toBeLessThanOrEqual(2);
      expect(find('naive').roundTrips).toBe(2 * n + 2);
      expect(find('naive').commands).toBe(2 * n + 2);
      expect(find('naive-pipelined').roundTrips).toBe(2 * Math.ceil(n / 1000) + 2);
    }
    expect(l.chunks.map((c) => c.chunkSize)).toEqual(config.chunkSizes);
    // More chunks than the first script takes: the rest go in one pipeline, so 2 round trips.
    for (const c of l.chunks) expect(c.roundTrips).toBe(2);
    expect(l.atChunkSize!.roundTrips).toBe(1);
    expect(run.results.latency!.logout.map((r) => r.method).sort()).toEqual(['naive', 'naive-pipelined', 'sessionkit']);

    const s = run.results.storeOps!;
    const stores = new Set(s.rows.map((r) => r.store));
    expect(s.rows).toHaveLength(stores.size * 3 * 2);
    // One command per operation on every store: SessionKit's touch names the owner it loaded, as
    // the adapters do (without it the script refuses once and the touch is sent again).
    for (const r of s.rows) expect(r.commandsPerOp, `${r.label} ${r.op}`).toBeCloseTo(1, 1);
    expect(s.redisBenchmark).toHaveLength(6);
  });
});
