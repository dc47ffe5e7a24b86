/** What both quick-mode test files check: section 1's rows, and the cells of a marked table. */
import { expect } from 'vitest';
import type { BenchConfig } from '../config.js';
import { FIXED_RATE_STORES, type FixedRateComparison } from '../fixed-rate.js';
import { PATHS, type Path } from '../http.js';

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

/** Commands a store sent per request on `path`, in all and by name (MONITOR, the first round). */
export function sent(c: FixedRateComparison, store: string, path: Path): { total: number; by: Record<string, number> } {
  const row = c.rows.find((r) => r.store === store && r.path === path);
  expect(row, `${c.framework} ${store} ${path}`).toBeDefined();
  return { total: row!.commandsPerRequest, by: row!.runs[0]!.byCommand };
}
