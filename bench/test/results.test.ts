/**
 * What a partial run (BENCH_ONLY, BENCH_FIXED_FRAMEWORKS) leaves in bench/results/latest.json:
 * its own results over the old ones, every other section and framework kept. No Redis, no app.
 */
import { describe, expect, it } from 'vitest';
import { ALL_SECTIONS } from '../config.js';
import type { FixedRateComparison } from '../fixed-rate.js';
import { mergeResults } from '../run.js';
import type { BenchResults } from '../tables.js';

const comparison = (framework: FixedRateComparison['framework'], rate: number) => ({ framework, rate }) as FixedRateComparison;
const results = (date: string, sections: BenchResults['sections'], extra: Partial<BenchResults>) =>
  ({ meta: { date }, sections, ...extra }) as unknown as BenchResults;

describe('mergeResults', () => {
  const old = results('full', ALL_SECTIONS, {
    fixedRate: { express: comparison('express', 1), koa: comparison('koa', 1), hono: comparison('hono', 1) },
    memory: [],
  });

  it("a section 1 run of some frameworks replaces theirs and keeps the other frameworks' and sections", () => {
    const merged = mergeResults(old, results('hono only', ['fixed-rate'], { fixedRate: { hono: comparison('hono', 2) } }));
    expect(merged.meta.date).toBe('hono only');
    expect(merged.fixedRate).toEqual({ express: comparison('express', 1), koa: comparison('koa', 1), hono: comparison('hono', 2) });
    expect(merged.memory).toEqual([]);
  });

  it('a run of other sections keeps section 1 whole; a full run replaces everything; no old file keeps the run as it is', () => {
    expect(mergeResults(old, results('memory only', ['memory'], { memory: [] })).fixedRate).toEqual(old.fixedRate);
    const full = results('new full', ALL_SECTIONS, { fixedRate: { express: comparison('express', 3) } });
    expect(mergeResults(old, full)).toBe(full);
    const partial = results('hono only', ['fixed-rate'], { fixedRate: { hono: comparison('hono', 2) } });
    expect(mergeResults(undefined, partial)).toBe(partial);
  });
});
