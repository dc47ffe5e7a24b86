/**
 * Section 1 for Koa and React Router, in quick mode, end to end: their app processes, a real
 * redis-server, the MONITOR counts, the report and the chart, into a temporary directory. The
 * other sections and Express/Fastify are smoke.test.ts's. Counts and the report's shape only,
 * never timings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { FIXED_RATE_STORES, PATHS, fixedRow, type FixedRateComparison } from '../fixed-rate.js';
import { runBench, type RunOutput } from '../run.js';

const dir = mkdtempSync(join(tmpdir(), 'sessionkit-bench-frameworks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quick = loadConfig([], { quick: true });
const config = loadConfig([], {
  quick: true,
  sections: ['fixed-rate'],
  out: join(dir, 'benchmarks.md'),
  chart: join(dir, 'benchmarks.svg'),
  json: '',
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
    for (const framework of ['koa', 'react-router'] as const) {
      const c = comparison(framework);
      expect(run.results.fixedRate!.express).toBeUndefined();
      for (const spec of FIXED_RATE_STORES[framework]) {
        const rows = c.rows.filter((r) => r.store === spec.id);
        const skipped = c.skipped.find((s) => s.store === spec.id);
        if (skipped) {
          expect(spec.optional, `${framework} ${spec.label} is required`).toBe(true);
          continue;
        }
        expect(rows.map((r) => r.path).sort()).toEqual([...PATHS].sort());
        for (const row of rows) {
          const what = `${framework} ${row.label} ${row.path}`;
          expect(row.failures, what).toBe(0);
          for (const x of row.runs) expect(x.requests, what).toBe(perRun);
          expect(row.appCpuUs, what).toBeGreaterThan(0);
          if (row.client === 'none') {
            // The cookie and memory storages never reach Redis.
            expect(row.commandsPerRequest, what).toBe(0);
            expect(row.redisCpuUs, what).toBe(0);
          }
        }
      }
    }
  });

  // What each store sends per request, by command (MONITOR). Sessions signed in seconds ago: no
  // SessionKit touch is due, so the read is exactly its one GET.
  it('counts the commands of each read and write: SessionKit reads with one GET on both frameworks', () => {
    const sent = (c: FixedRateComparison, store: string, path: '/read' | '/write') => {
      const row = fixedRow(c, store, path);
      expect(row, `${c.framework} ${store} ${path}`).toBeDefined();
      return { total: row!.commandsPerRequest, by: row!.runs[0]!.byCommand };
    };
    const koa = comparison('koa');
    const rr = comparison('react-router');
    for (const c of [koa, rr]) {
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
      expect(kr.total, `koa-redis ${path}`).toBeCloseTo(2, 2);
      expect(kr.by.get).toBeCloseTo(1, 2);
      expect(kr.by.setex).toBeCloseTo(1, 2);
    }
    // Without rolling koa-session saves only a changed session: the read is the GET alone.
    const plain = sent(koa, 'koa-redis-no-rolling', '/read');
    expect(plain.total).toBeCloseTo(1, 2);
    expect(plain.by.get).toBeCloseTo(1, 2);
    const norolling = sent(koa, 'koa-redis-no-rolling', '/write');
    expect(norolling.by.get).toBeCloseTo(1, 2);
    expect(norolling.by.setex).toBeCloseTo(1, 2);
  });

  it('renders both frameworks in the report and the chart, with ratios against the alternative', () => {
    const md = run.markdown;
    for (const heading of [
      '## 1. CPU per request at a fixed rate',
      '### Koa 3 + koa-session, read path',
      '### Koa 3 + koa-session, write path',
      '### React Router 7, read path',
      '### React Router 7, write path',
      '### Koa and React Router against their alternatives',
      '**The apps**',
      '- **Koa, CPU per request',
      '- **React Router, CPU per request',
    ]) {
      expect(md, heading).toContain(heading);
    }
    expect(md).toContain('| vs koa-redis | Redis CPU vs koa-redis |');
    expect(md).toContain('| vs createCookieSessionStorage (ceiling) |');
    expect(md).toContain('createCookieSessionStorage (ceiling: nothing server-side)');
    // Express and Fastify were not run: their tables and the target ratios are left out, not empty.
    expect(md).not.toContain('### Express 5');
    expect(md).not.toContain('### The ratios the targets use');
    expect(md).toContain('No target was measured in this run.');
    expect(md).not.toMatch(/NaN|undefined|Infinity/);
    expect(run.svg).toContain('Koa 3, read path');
    expect(run.svg).toContain('React Router 7, write path');
    expect(run.svg).not.toMatch(/NaN|undefined/);
  });

  it('lists the Koa and React Router figures beside the targets, for information only', () => {
    expect(run.targets.length).toBeGreaterThan(0);
    for (const t of run.targets) {
      expect(t.informational, `${t.area}: ${t.target}`).toBe(true);
      expect(t.met).toBeNull();
      expect(t.measured).not.toBe('not measured');
    }
    const names = run.targets.map((t) => `${t.area}: ${t.target}`);
    expect(names).toContain('Koa read path: 1.00 Redis command/request (ioredis)');
    expect(names).toContain('React Router read path: 1.00 Redis command/request (ioredis)');
    expect(names).toContain("Koa read path: app + Redis CPU/request against koa-redis's (ioredis)");
    expect(run.markdown).toContain('for information');
  });
});
