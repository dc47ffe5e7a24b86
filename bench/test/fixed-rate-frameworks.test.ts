/**
 * Section 1 for Koa, React Router and Hono, in quick mode, end to end: their app processes, a real
 * redis-server, the MONITOR counts, and their tables in a copy of docs/benchmarks.md in a
 * temporary directory. The other sections and Express/Fastify are smoke.test.ts's. Counts and
 * shape only, never timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { PATHS } from '../http.js';
import { runBench, type RunOutput } from '../run.js';
import { rootDir } from '../util.js';
import { expectFixedRate, near, quickFixedRate, sent, tableRows } from './helpers.js';

// The A/B row (see docs/benchmarks.md, "An A/B of a change"), with this checkout as its own
// baseline: the row runs the built packages found through BENCH_BASELINE.
process.env.BENCH_BASELINE = rootDir;

const config = quickFixedRate('frameworks', ['koa', 'react-router', 'hono']);

describe('section 1 for Koa, React Router and Hono, quick mode', () => {
  let run: RunOutput;
  // Thirteen app processes start (each framework's in parallel) and each logs 20 users in: 20-40 s here.
  beforeAll(async () => {
    run = await runBench(config, () => {});
  }, 180_000);

  it('runs every store on both paths and answers every request of every run', () => {
    expect(run.results.fixedRate!.express).toBeUndefined();
    expectFixedRate(run.results.fixedRate!.koa!, config);
    expectFixedRate(run.results.fixedRate!['react-router']!, config);
    expectFixedRate(run.results.fixedRate!.hono!, config);
  });

  // What each store sends per request, by command (MONITOR). Sessions signed in seconds ago: no
  // SessionKit touch is due, so the read is exactly its one GET.
  it('counts the commands of each read and write: SessionKit reads with one GET on every framework', () => {
    const koa = run.results.fixedRate!.koa!;
    for (const c of [koa, run.results.fixedRate!['react-router']!, run.results.fixedRate!.hono!]) {
      for (const store of ['sessionkit', 'sessionkit-node-redis', 'sessionkit@baseline']) {
        // koa-session's rolling save of the unchanged session (`changed: false`) writes nothing;
        // React Router's /read loader does not commit; @sessionkit/hono writes nothing back for an
        // unchanged session whose touch is not due.
        const read = sent(c, store, '/read');
        expect([read.total, read.by.get], `${c.framework} ${store} /read`).toEqual(near(1, 1));
        // The load, and one save script with the index.
        const write = sent(c, store, '/write');
        expect([write.total, write.by.get, write.by.evalsha ?? write.by.eval], `${c.framework} ${store} /write`).toEqual(near(2, 1, 1));
      }
    }
    // koa-redis writes every rolling save back: GET + SETEX on the read path too.
    for (const path of PATHS) {
      const kr = sent(koa, 'koa-redis', path);
      expect([kr.total, kr.by.get, kr.by.setex], `koa-redis ${path}`).toEqual(near(2, 1, 1));
    }
    // Without rolling koa-session saves only a changed session: the read is the GET alone.
    const plain = sent(koa, 'koa-redis-no-rolling', '/read');
    expect([plain.total, plain.by.get]).toEqual(near(1, 1));
    const norolling = sent(koa, 'koa-redis-no-rolling', '/write');
    expect([norolling.by.get, norolling.by.setex]).toEqual(near(1, 1));
  });

  it('rewrites only the tables of what it measured, and fills in the Koa, React Router and Hono rows of the targets', () => {
    expect(run.rewritten.sort()).toEqual([
      'fixed-hono-read',
      'fixed-hono-write',
      'fixed-koa-read',
      'fixed-koa-write',
      'fixed-react-router-read',
      'fixed-react-router-write',
      'machine',
      'targets',
    ]);
    expect(run.markdown).toContain('| vs koa-redis | Redis CPU vs koa-redis |');
    expect(run.markdown).toContain('| vs createCookieSessionStorage (ceiling) |');
    expect(run.markdown).toContain('| vs hono-sessions CookieStore (ceiling) |');
    for (const [, , figure, , measured, result] of tableRows(run.markdown, 'targets')) {
      const ours = /`(koa|react-router|hono)\./.test(figure!);
      expect(measured, figure).toEqual(ours ? expect.stringMatching(/^\d/) : 'not measured');
      if (ours) expect(result).toBe('for information');
    }
  });
});
