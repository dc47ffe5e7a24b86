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
import { runBench, type RunOutput } from '../run.js';
import { rootDir } from '../util.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-bench-smoke-'));
const docs = join(rootDir, 'docs', 'benchmarks.md');
const positive = (n: number) => Number.isFinite(n) && n > 0;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench, quick mode', () => {
  let run: RunOutput;
  const docsBefore = existsSync(docs) ? statSync(docs).mtimeMs : null;
  const config = loadConfig([], {
    quick: true,
    sections: ALL_SECTIONS,
    out: join(dir, 'benchmarks.md'),
    chart: join(dir, 'img', 'benchmarks.svg'),
    json: join(dir, 'results.json'),
  });

  it('runs every section and writes the report, the chart and the raw results to the given paths', { timeout: 120_000 }, async () => {
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
      '## 1. Express 5 + express-session',
      '### Read path',
      '### Write path',
      '## 2. Fastify 5 + @fastify/session',
      '## 3. Redis cost per request and memory per session',
      '### Memory per session',
      '## 4. Logout-everywhere for one user',
      '### revokeChunkSize at',
      '## 5. Store operations without HTTP',
      '## 6. Latency with a real network in between',
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
        expect(row.runs.every((r) => r.requests > 0), `${row.label} served requests`).toBe(true);
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

  it('measures memory per session for every store', () => {
    const rows = run.results.memory!;
    expect(rows.length).toBe(5);
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
    const proxied = run.results.latency!.logout;
    expect(proxied.map((r) => r.method).sort()).toEqual(['naive', 'naive-pipelined', 'sessionkit']);
  });

  it('measures store operations and the redis-benchmark reference', () => {
    const s = run.results.storeOps!;
    expect(s.rows).toHaveLength(3 * 3 * 2);
    for (const r of s.rows) {
      expect(positive(r.opsPerSec), `${r.label} ${r.op} c=${r.concurrency}`).toBe(true);
      expect(r.commandsPerOp).toBeGreaterThan(0.9);
    }
    expect(s.redisBenchmark).toHaveLength(6);
    for (const r of s.redisBenchmark) expect(positive(r.rps)).toBe(true);
  });

  it('states every target as met or missed', () => {
    const areas = new Set(run.targets.map((t) => t.area));
    for (const area of ['Express read path', 'Express write path', 'Fastify read path', 'Fastify write path', 'Logout-everywhere', 'Store operations', 'Latency, 1 ms each way']) {
      expect(areas.has(area), area).toBe(true);
    }
    for (const t of run.targets) expect(typeof t.met, `${t.area}: ${t.target}`).toBe('boolean');
  });
});
