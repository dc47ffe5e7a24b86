/**
 * Section 1 for Next.js in quick mode, end to end: the production build of bench/apps/next (made
 * when stale: about 25-60 s here, then skipped), its app processes (@sessionkit/next on ioredis
 * and node-redis, iron-session), a real redis-server, the MONITOR counts, and its tables in a copy
 * of docs/benchmarks.md in a temporary directory. Counts and shape only, never timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench, type RunOutput } from '../run.js';
import { expectFixedRate, near, quickFixedRate, sent, tableRows } from './helpers.js';

const config = quickFixedRate('next', ['next']);

describe('section 1 for Next.js, quick mode', () => {
  let run: RunOutput;
  beforeAll(async () => {
    run = await runBench(config, () => {});
  }, 240_000);

  it('runs every store on both paths and answers every request of every run', () => {
    expectFixedRate(run.results.fixedRate!.next!, config);
  });

  it("counts the commands of each read and write: a Server Component's read is one GET, a Route Handler's save one script", () => {
    const next = run.results.fixedRate!.next!;
    for (const store of ['sessionkit', 'sessionkit-node-redis']) {
      const read = sent(next, store, '/read');
      expect([read.total, read.by.get], `${store} /read`).toEqual(near(1, 1));
      const write = sent(next, store, '/write');
      expect([write.total, write.by.get, write.by.evalsha ?? write.by.eval], `${store} /write`).toEqual(near(2, 1, 1));
    }
  });

  it('rewrites only the Next tables, set against iron-session, and fills in the Next rows of the targets', () => {
    expect(run.rewritten.sort()).toEqual(['fixed-next-read', 'fixed-next-write', 'machine', 'targets']);
    expect(run.markdown).toContain('| vs iron-session (ceiling) |');
    for (const [, , figure, , measured, result] of tableRows(run.markdown, 'targets')) {
      const ours = figure!.startsWith('`next.');
      expect(measured, figure).toEqual(ours ? expect.stringMatching(/^\d/) : 'not measured');
      if (ours) expect(result).toBe('for information');
    }
  });
});
