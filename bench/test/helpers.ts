/** What the quick-mode test files share: section 1's settings and rows, and the cells of a marked table. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect } from 'vitest';
import { type BenchConfig, type Framework, loadConfig } from '../config.js';
import { FIXED_RATE_STORES, type FixedRateComparison } from '../fixed-rate.js';
import { PATHS, type Path } from '../http.js';

/** Matchers for figures equal to `ns` to two decimals. */
export const near = (...ns: number[]) => ns.map((n) => expect.closeTo(n, 2));

/**
 * Quick-mode section 1 of `frameworks` alone, its results and page in a temporary directory
 * (`sessionkit-bench-<name>-…`) removed after the file. The page is missing there: the run starts
 * from a copy of docs/benchmarks.md.
 */
export function quickFixedRate(name: string, frameworks: Framework[]): BenchConfig {
  const dir = mkdtempSync(join(tmpdir(), `sessionkit-bench-${name}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const quick = loadConfig([], { quick: true });
  return loadConfig([], {
    quick: true,
    sections: ['fixed-rate'],
    out: join(dir, 'benchmarks.md'),
    json: join(dir, 'results.json'),
    fixedRate: { ...quick.fixedRate, frameworks },
  });
}

/** The body rows of the marked table `name` of `md`, as trimmed cells. */
export function tableRows(md: string, name: string): string[][] {
  const body = new RegExp(`<!-- bench:table ${name} -->\\n([\\s\\S]*?)\\n<!-- /bench -->`).exec(md)![1]!;
  return body
    .split('\n')
    .slice(2)
    .map((line) => line.split(/\s*\|\s*/).slice(1, -1));
}

/** Every store of the framework on both paths, every round answering every request; the stores without Redis cost Redis nothing. */
export function expectFixedRate(c: FixedRateComparison, config: BenchConfig): void {
  const f = config.fixedRate;
  for (const spec of FIXED_RATE_STORES[c.framework]) {
    const rows = c.rows.filter((r) => r.store === spec.id);
    expect(rows.map((r) => r.path).sort()).toEqual([...PATHS].sort());
    for (const row of rows) {
      const what = `${c.framework} ${row.label} ${row.path}`;
      expect(row.runs, what).toHaveLength(f.rounds);
      expect(row.failures, what).toBe(0);
      for (const x of row.runs) expect(x.requests, what).toBe(Math.round(f.rate * f.duration));
      expect(row.appCpuUs, what).toBeGreaterThan(0);
      if (row.client === 'none') expect([row.commandsPerRequest, row.executedPerRequest, row.redisCpuUs], what).toEqual([0, 0, 0]);
      else expect(row.executedPerRequest, what).toBeGreaterThan(0.5);
    }
  }
}

/**
 * The opt-in rows `ids` (BENCH_AT_REST, BENCH_FLOOR) ran beside the framework's stores: on both
 * paths, in every round, with no failed request. Returns their rows.
 */
export function expectRowsRan(c: FixedRateComparison, config: BenchConfig, ids: readonly string[]): FixedRateComparison['rows'] {
  const ran = c.rows.filter((r) => ids.includes(r.store));
  for (const id of ids) {
    const rows = ran.filter((r) => r.store === id);
    expect(rows.map((r) => r.path).sort(), id).toEqual([...PATHS].sort());
    for (const r of rows) expect([r.failures, r.runs.length], `${id} ${r.path}`).toEqual([0, config.fixedRate.rounds]);
  }
  return ran;
}

/** Commands a store sent per request on `path`, in all and by name (MONITOR, the first round). */
export function sent(c: FixedRateComparison, store: string, path: Path): { total: number; by: Record<string, number> } {
  const row = c.rows.find((r) => r.store === store && r.path === path);
  expect(row, `${c.framework} ${store} ${path}`).toBeDefined();
  return { total: row!.commandsPerRequest, by: row!.runs[0]!.byCommand };
}
