/**
 * Section 1 for Koa and React Router, in quick mode, end to end: their app processes, a real
 * redis-server, the MONITOR counts, and their tables in a copy of docs/benchmarks.md in a
 * temporary directory. The other sections and Express/Fastify are smoke.test.ts's. Counts and
 * shape only, never timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { FIXED_RATE_STORES, type FixedRateComparison } from '../fixed-rate.js';
import { PATHS, type Path } from '../http.js';
import { runBench, type RunOutput } from '../run.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-bench-frameworks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quick = loadConfig([], { quick: true });
const config = loadConfig([], {
  quick: true,
  sections: ['fixed-rate'],
  // Missing: the run starts from a copy of docs/benchmarks.md.
  out: join(dir, 'benchmarks.md'),
  json: join(dir, 'results.json'),
  fixedRate: { ...quick.fixedRate, frameworks: ['koa', 'react-router'] },
});

describe('section 1 for Koa and React Router, quick mode', () => {
  let run: RunOutput;
  // Nine app processes start (in parallel) and each logs 20 users in: 15-30 s here.
  beforeAll(async () => {
    run = await runBench(config, () => {});
  }, 120_000);

  const comparison = (framework: 'koa' | 'react-router'): FixedRateComparison => run.results.fixedRate![framework]!;

  it('runs every store on both paths and answers every request of every run', () => {
    const perRun = Math.round(config.fixedRate.rate * config.fixedRate.duration);
    expect(run.results.fixedRate!.express).toBeUndefined();
    for (const framework of ['koa', 'react-router'] as const) {
      const c = comparison(framework);
      for (const spec of FIXED_RATE_STORES[framework]) {
        const rows = c.rows.filter((r) => r.store === spec.id);
        if (c.skipped.some((s) => s.store === spec.id)) {
          expect(spec.optional, `${framework} ${spec.label} is required`).toBe(true);
          continue;
        }
        expect(rows.map((r) => r.path).sort()).toEqual([...PATHS].sort());
        for (const row of rows) {
          const what = `${framework} ${row.label} ${row.path}`;
          expect(row.failures, what).toBe(0);
          for (const x of row.runs) expect(x.requests, what).toBe(perRun);
          expect(row.appCpuUs, what).toBeGreaterThan(0);
          // The cookie and memory storages never reach Redis.
          if (row.client === 'none') expect([row.commandsPerRequest, row.redisCpuUs], what).toEqual([0, 0]);
        }
      }
    }
  });

  // What each store sends per request, by command (MONITOR). Sessions signed in seconds ago: no
  // SessionKit touch is due, so the read is exactly its one GET.
  it('counts the commands of each read and write: SessionKit reads with one GET on both frameworks', () => {
    const sent = (c: FixedRateComparison, store: string, path: Path) => {
      const row = c.rows.find((r) => r.store === store && r.path === path);
      expect(row, `${c.framework} ${store} ${path}`).toBeDefined();
      return { total: row!.commandsPerRequest, by: row!.runs[0]!.byCommand };
    };
    const koa = comparison('koa');
    for (const c of [koa, comparison('react-router')]) {
      for (const store of ['sessionkit', 'sessionkit-node-redis']) {
        if (c.skipped.some((s) => s.store === store)) continue;
        // koa-session's rolling save of the unchanged session (`changed: false`) writes nothing;
        // React Router's /read loader does not commit.
        const read = sent(c, store, '/read');
        expect(read.total, `${c.framework} ${store} /read`).toBeCloseTo(1, 2);
        expect(read.by.get, `${c.framework} ${store} /read`).toBeCloseTo(1, 2);
        // The load, and one save script with the index.
        const write = sent(c, store, '/write');
        expect(write.total, `${c.framework} ${store} /write`).toBeCloseTo(2, 2);
        expect(write.by.get).toBeCloseTo(1, 2);
        expect(write.by.evalsha ?? write.by.eval).toBeCloseTo(1, 2);
      }
    }
    // koa-redis writes every rolling save back: GET + SETEX on the read path too.
    for (const path of PATHS) {
      const kr = sent(koa, 'koa-redis', path);
      for (const [n, expected] of [kr.total, kr.by.get, kr.by.setex].entries()) expect(expected, `koa-redis ${path} ${n}`).toBeCloseTo(n === 0 ? 2 : 1, 2);
    }
    // Without rolling koa-session saves only a changed session: the read is the GET alone.
    const plain = sent(koa, 'koa-redis-no-rolling', '/read');
    expect([plain.total, plain.by.get]).toEqual([expect.closeTo(1, 2), expect.closeTo(1, 2)]);
    const norolling = sent(koa, 'koa-redis-no-rolling', '/write');
    expect([norolling.by.get, norolling.by.setex]).toEqual([expect.closeTo(1, 2), expect.closeTo(1, 2)]);
  });

  it('rewrites only the tables of what it measured, and fills in the Koa and React Router rows of the targets', () => {
    expect(run.rewritten.sort()).toEqual(['fixed-koa-read', 'fixed-koa-write', 'fixed-react-router-read', 'fixed-react-router-write', 'machine', 'targets']);
    expect(run.markdown).toContain('| vs koa-redis | Redis CPU vs koa-redis |');
    expect(run.markdown).toContain('| vs createCookieSessionStorage (ceiling) |');
    const targets = /<!-- bench:table targets -->\n([\s\S]*?)\n<!-- \/bench -->/.exec(run.markdown)![1]!.split('\n').slice(2);
    for (const line of targets) {
      const [, , figure, , measured, result] = line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim());
      const ours = /`(koa|react-router)\./.test(figure!);
      expect(measured, line).toEqual(ours ? expect.stringMatching(/^\d/) : 'not measured');
      if (ours) expect(result).toBe('for information');
    }
  });
});
