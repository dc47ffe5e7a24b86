/**
 * BENCH_AT_REST=1 in quick mode, Express only: the at-rest rows (issue 26's cost check) run
 * beside the peers in the same rounds, every request answered, the read path still one command
 * on every row, and an encrypted record larger than the same session in clear. Counts, sizes and
 * shape only, never timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { AT_REST, AT_REST_NOTES } from '../apps/shared.js';
import { runBench, type RunOutput } from '../run.js';
import { expectFixedRate, expectRowsRan, near, quickFixedRate, sent } from './helpers.js';

process.env.BENCH_AT_REST = '1';

const config = quickFixedRate('at-rest', ['express']);

describe('section 1 with BENCH_AT_REST=1, Express, quick mode', () => {
  let run: RunOutput;
  // Nine app processes start in parallel, each logging 20 users in.
  beforeAll(async () => {
    run = await runBench(config, () => {});
  }, 180_000);

  it('runs the peers and every at-rest row on both paths in the same rounds', () => {
    const c = run.results.fixedRate!.express!;
    expectFixedRate(c, config);
    const rows = expectRowsRan(
      c,
      config,
      AT_REST.map((row) => row.id),
    );
    for (const r of rows) expect(r.label).toContain(AT_REST.find((row) => row.id === r.store)!.name);
  });

  // Sessions signed in seconds ago: no touch is due, and each exists under its key, so no row
  // looks for a plain-id key (legacyKeys) and the read is its one GET, encrypted or not.
  it('reads with one GET and writes with GET + one script on every at-rest row', () => {
    const c = run.results.fixedRate!.express!;
    for (const row of AT_REST) {
      const read = sent(c, row.id, '/read');
      expect([read.total, read.by.get], `${row.id} /read`).toEqual(near(1, 1));
      const write = sent(c, row.id, '/write');
      expect([write.total, write.by.get, write.by.evalsha ?? write.by.eval], `${row.id} /write`).toEqual(near(2, 1, 1));
    }
  });

  it('stores a session of about 1 KB on every row, larger when encrypted', () => {
    const c = run.results.fixedRate!.express!;
    const bytes = Object.fromEntries(AT_REST.map((row) => [row.id, c.rows.find((r) => r.store === row.id)!.recordBytes!]));
    for (const row of AT_REST) expect(bytes[row.id], row.id).toBeGreaterThan(AT_REST_NOTES.length + 200);
    // Base64url's third of the data part and the sealing's prefix, key id, IV and tag.
    expect(bytes['sessionkit-1k-encrypted']! - bytes['sessionkit-1k-hashed']!).toBeGreaterThan(AT_REST_NOTES.length / 3);
  });
});
