/**
 * Runs the whole benchmark in quick mode (tiny durations and sizes) end to end, into a
 * temporary directory, and checks that the report has every section with sane, non-zero
 * numbers. No assertion depends on timing: only on counts (requests served, round trips,
 * commands) and on the report's shape. docs/benchmarks.md is never written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL_SECTIONS, loadConfig } from '../config.js';
import { FIXED_RATE_STORES, PATHS } from '../fixed-rate.js';
import { runBench, type RunOutput } from '../run.js';
import { rootDir } from '../util.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-bench-smoke-'));
const docs = join(rootDir, 'docs', 'benchmarks.md');
const positive = (n: number) => Number.isFinite(n) && n > 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench, quick mode', () => {
  let run: RunOutput;
  const docsBefore = existsSync(docs) ? statSync(docs).mtimeMs : null;
  const quick = loadConfig([], { quick: true });
  const config = loadConfig([], {
    quick: true,
    sections: ALL_SECTIONS,
    out: join(dir, 'benchmarks.md'),
    chart: join(dir, 'img', 'benchmarks.svg'),
    json: join(dir, 'results.json'),
    // Koa and React Router have a file of their own (fixed-rate-frameworks.test.ts): eight more
    // app processes here would add their start-up to the slowest test of the suite.
    fixedRate: { ...quick.fixedRate, frameworks: ['express', 'fastify'] },
  });

  // Mostly app start-up (ten app processes); measured at 1.5-3.5 minutes with the 2 cores at a
  // load average of 15-20, so the limit leaves room for a busier machine still.
  it('runs every section and writes the report, the chart and the raw results to the given paths', { timeout: 300_000 }, async () => {
    run = await runBench(config, () => {});
    expect(readFileSync(config.out, 'utf8')).toBe(run.markdown);
    expect(readFileSync(config.chart, 'utf8')).toBe(run.svg);
    expect(JSON.parse(readFileSync(config.json, 'utf8')).targets).toHaveLength(run.targets.length);
    // The real report is left alone.
    expect(existsSync(docs) ? statSync(docs).mtimeMs : null).toBe(docsBefore);
  });

  it('has every section in the markdown, no missing values, and links the chart', () => {
    const md = run.markdown;
    for (const heading of [
      '# Benchmarks',
      '## Targets',
      '## Machine',
      '## 1. CPU per request at a fixed rate',
      '### Express 5 + express-session, read path',
      '### Express 5 + express-session, write path',
      '### Fastify 5 + @fastify/session, read path',
      '### Fastify 5 + @fastify/session, write path',
      '### The ratios the targets use',
      '**How measured.**',
      '**Why a fixed rate.**',
      '## 2. Express 5 + express-session',
      '### Read path',
      '### Write path',
      '## 3. Fastify 5 + @fastify/session',
      '## 4. Redis cost per request and memory per session',
      '### Memory per session',
      '## 5. Logout-everywhere for one user',
      '### revokeChunkSize at',
      '**The UNLINK floor.**',
      '## 6. Store operations without HTTP',
      '## 7. Latency with a real network in between',
      '## Findings',
      '## How to reproduce',
      '## Notes on this machine',
    ]) {
      expect(md, heading).toContain(`${heading}`);
    }
    expect(md).toContain('Quick mode');
    expect(md).toContain('](img/benchmarks.svg)');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
    expect(run.svg.startsWith('<svg')).toBe(true);
    expect(run.svg.trim().endsWith('</svg>')).toBe(true);
    expect(run.svg).not.toMatch(/NaN|undefined/);
    expect(run.results.meta.redis).toMatch(/^\d+\.\d+/);
    expect(run.results.meta.cores).toBeGreaterThan(0);
  });

  it('serves every HTTP run without failures and counts Redis commands per request', () => {
    for (const c of [run.results.express!, run.results.fastify!, run.results.latency!.http]) {
      expect(c.rows.length).toBeGreaterThanOrEqual(3);
      for (const row of c.rows) {
        expect(row.failures, `${c.framework} ${row.label} ${row.path}`).toBe(0);
        expect(
          row.runs.every((r) => r.requests > 0),
          `${row.label} served requests`,
        ).toBe(true);
        expect(positive(row.rps)).toBe(true);
        expect(row.serverCpuUsPerRequest, `${row.label} server CPU`).toBeGreaterThan(0);
        // autocannon reports whole milliseconds: a p50 of 0 is a fast loopback, not a failure.
        expect(Number.isFinite(row.p50) && row.p50 >= 0).toBe(true);
        if (row.store === 'memory') expect(row.commandsPerRequest).toBe(0);
        else expect(row.commandsPerRequest, `${row.label} ${row.path}`).toBeGreaterThan(0.5);
      }
      // The read path: SessionKit skips the touch (throttled), connect-redis sends GET + EXPIRE/SET.
      const ours = c.rows.find((r) => r.store === 'sessionkit' && r.path === '/read')!;
      const peer = c.rows.find((r) => r.store === 'connect-redis8' && r.path === '/read')!;
      expect(ours.commandsPerRequest).toBeLessThan(1.6);
      expect(peer.commandsPerRequest).toBeGreaterThan(1.5);
    }
  });

  it('runs the fixed-rate comparison for every store, both paths, both frameworks, and counts what each request cost', () => {
    const f = config.fixedRate;
    const perRun = Math.round(f.rate * f.duration);
    for (const framework of ['express', 'fastify'] as const) {
      const c = run.results.fixedRate![framework]!;
      expect(c.framework).toBe(framework);
      expect(c.rate).toBe(f.rate);
      expect(Number.isFinite(c.idle.redisUsPerSecond)).toBe(true);
      // Every store either ran both paths or, if optional, was skipped with its reason.
      for (const spec of FIXED_RATE_STORES[framework]) {
        const skipped = c.skipped.find((s) => s.store === spec.id);
        const rows = c.rows.filter((r) => r.store === spec.id);
        if (skipped) {
          expect(spec.optional, `${framework} ${spec.label} is required`).toBe(true);
          expect(skipped.reason.length).toBeGreaterThan(0);
          expect(rows).toHaveLength(0);
          continue;
        }
        expect(rows.map((r) => r.path).sort()).toEqual([...PATHS].sort());
        for (const row of rows) {
          const what = `${framework} ${row.label} ${row.path}`;
          expect(row.runs, what).toHaveLength(f.rounds);
          expect(row.failures, what).toBe(0);
          // Every request of every measured run was answered with a 2xx.
          for (const x of row.runs) expect(x.requests, what).toBe(perRun);
          expect(row.appCpuUs, what).toBeGreaterThan(0);
          expect(Number.isFinite(row.redisCpuUs), what).toBe(true);
          if (row.runs.length === 1) expect(row.totalCpuUs, what).toBeCloseTo(row.appCpuUs + row.redisCpuUs, 6);
          if (row.store === 'memory') {
            expect(row.commandsPerRequest).toBe(0);
            expect(row.redisCpuUs).toBe(0);
          } else {
            expect(row.executedPerRequest, what).toBeGreaterThan(0.5);
            // Each request loads its session; a write also saves it (connect-redis: GET + SET;
            // on the read path connect-redis also sends EXPIRE or SET, SessionKit nothing while the touch is not due).
            if (row.path === '/write') expect(row.commandsPerRequest, what).toBeCloseTo(2, 1);
            else if (row.store.startsWith('sessionkit')) expect(row.commandsPerRequest, what).toBeCloseTo(1, 1);
            else expect(row.commandsPerRequest, what).toBeCloseTo(2, 1);
          }
        }
      }
      expect(c.rows.filter((r) => r.store === 'connect-redis9' || r.store === 'connect-redis8' || r.store === 'sessionkit')).toHaveLength(6);
    }
  });

  it('measures memory per session for every store', () => {
    const rows = run.results.memory!;
    // connect-redis 9 and 8, SessionKit at 1 and 10 sessions per user, all at default settings.
    expect(rows.length).toBe(4);
    for (const m of rows) {
      expect(m.bytesPerSession, m.label).toBeGreaterThan(50);
      expect(m.bytesPerSession, m.label).toBeLessThan(100_000);
      expect(m.sessionKeyBytes).toBeGreaterThan(0);
    }
    expect(rows.filter((m) => m.label.startsWith('@sessionkit')).every((m) => (m.indexKeyBytes ?? 0) > 0)).toBe(true);
  });

  it('counts the round trips of logout-everywhere', () => {
    const l = run.results.logout!;
    for (const n of config.logoutSizes) {
      const ours = l.rows.find((r) => r.method === 'sessionkit' && r.sessions === n)!;
      const naive = l.rows.find((r) => r.method === 'naive' && r.sessions === n)!;
      const piped = l.rows.find((r) => r.method === 'naive-pipelined' && r.sessions === n)!;
      expect(ours.roundTrips).toBeLessThanOrEqual(2);
      expect(naive.roundTrips).toBe(2 * n + 2);
      expect(naive.commands).toBe(2 * n + 2);
      expect(piped.roundTrips).toBe(2 * Math.ceil(n / 1000) + 2);
      for (const r of [ours, naive, piped]) expect(positive(r.ms)).toBe(true);
    }
    expect(l.chunks.map((c) => c.chunkSize)).toEqual(config.chunkSizes);
    // More chunks than the first script takes: the rest go in one pipeline, so 2 round trips.
    for (const c of l.chunks) expect(c.roundTrips).toBe(2);
    expect(l.atChunkSize!.sessions).toBe(l.defaultChunkSize);
    expect(l.atChunkSize!.roundTrips).toBe(1);
    expect(positive(l.unlinkFloorMs!)).toBe(true);
    expect(l.unlinkFloorReps).toBe(config.logoutReps);
    const proxied = run.results.latency!.logout;
    expect(proxied.map((r) => r.method).sort()).toEqual(['naive', 'naive-pipelined', 'sessionkit']);
  });

  it('measures store operations and the redis-benchmark reference', () => {
    const s = run.results.storeOps!;
    const stores = new Set(s.rows.map((r) => r.store));
    // connect-redis 8 and 9, SessionKit on ioredis; on node-redis too once core accepts it.
    expect([...stores].sort()).toEqual(['connect-redis8', 'connect-redis9', 'sessionkit', ...(s.skipped?.length ? [] : ['sessionkit-node-redis'])].sort());
    expect(s.rows).toHaveLength(stores.size * 3 * 2);
    for (const r of s.rows) {
      expect(positive(r.opsPerSec), `${r.label} ${r.op} c=${r.concurrency}`).toBe(true);
      expect(r.commandsPerOp).toBeGreaterThan(0.9);
    }
    expect(s.redisBenchmark).toHaveLength(6);
    for (const r of s.redisBenchmark) expect(positive(r.rps)).toBe(true);
  });

  it('states every target as met or missed', () => {
    const areas = new Set(run.targets.map((t) => t.area));
    for (const area of [
      'Express read path',
      'Express write path',
      'Fastify read path',
      'Fastify write path',
      'Memory',
      'Logout-everywhere',
      'Store operations',
      'Latency, 1 ms each way',
    ]) {
      expect(areas.has(area), area).toBe(true);
    }
    const targets = run.targets.map((t) => `${t.area}: ${t.target}`);
    for (const wanted of [
      "Express read path: Redis CPU/request <= 1.0x connect-redis 9's",
      "Express read path: app + Redis CPU/request <= 0.9x connect-redis 8's (same client, ioredis)",
      'Express read path: 1.00 Redis command/request (ioredis)',
      "Express write path: Redis CPU/request <= 2.0x connect-redis 9's",
      "Express write path: app + Redis CPU/request <= 1.05x connect-redis 8's (same client, ioredis)",
      'Express write path: 1 round trip per save, index included (ioredis)',
      "Fastify read path: Redis CPU/request <= 1.0x connect-redis 8's",
      "Fastify write path: app + Redis CPU/request <= 1.05x connect-redis 8's (same client, ioredis)",
      "Express read path: same client (node-redis): app + Redis CPU/request <= 1.0x connect-redis 9's",
      "Express write path: same client (node-redis): app + Redis CPU/request <= 1.15x connect-redis 9's",
      'Store operations: set at concurrency 64 >= 0.5x redis-benchmark -c 64 SET',
      'Store operations: touch at concurrency 64 >= 0.6x redis-benchmark -c 64 SET',
    ]) {
      expect(targets, wanted).toContain(wanted);
    }
    expect(targets.some((t) => t.startsWith('Logout-everywhere: 1 round trip up to the chunk size'))).toBe(true);
    expect(targets.some((t) => /sessions <= 3x the UNLINK floor measured in this run$/.test(t))).toBe(true);
    // Measured targets are met or missed; only those of a store that could not run (SessionKit
    // on node-redis before core accepts it) may be unmeasured, and then they say why.
    const skipped = [run.results.fixedRate!.express!, run.results.fixedRate!.fastify!].flatMap((c) => c.skipped.map((s) => s.label));
    for (const t of run.targets) {
      if (t.informational) continue;
      if (t.met === null) {
        expect(t.target, t.area).toMatch(/same client \(node-redis\)/);
        expect(
          skipped.some((label) => t.note.includes(label)),
          t.note,
        ).toBe(true);
      } else expect(typeof t.met, `${t.area}: ${t.target}`).toBe('boolean');
    }
  });
});
