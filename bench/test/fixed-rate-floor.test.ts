/**
 * BENCH_FLOOR=1 in quick mode, Express (Fastify's rows are the same store class): connect-redis 8 and 9 saving through the floor
 * script (bench/apps/floor-store.ts) run beside the peers in the same rounds, every request
 * answered, a save GET + one script that runs the floor's five commands (a read is
 * connect-redis's own). Counts and shape only, never timings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runBench, type RunOutput } from '../run.js';
import { expectFixedRate, expectRowsRan, near, quickFixedRate, sent } from './helpers.js';

process.env.BENCH_FLOOR = '1';

const config = quickFixedRate('floor', ['express']);
const FLOOR_ROWS = ['connect-redis8-floor', 'connect-redis9-floor'];

describe('section 1 with BENCH_FLOOR=1, Express, quick mode', () => {
  let run: RunOutput;
  beforeAll(async () => {
    run = await runBench(config, () => {});
  }, 240_000);

  it('runs both floor rows on both paths beside the peers', () => {
    const c = run.results.fixedRate!.express!;
    expectFixedRate(c, config);
    expectRowsRan(c, config, FLOOR_ROWS);
  });

  // A write's script runs GETRANGE, TIME, SET, ZADD and PEXPIREAT: 7 commands executed with the
  // GET and the EVALSHA, where connect-redis's save is 2. A read is connect-redis's own.
  it('a save is GET + the floor script, which keeps the index', () => {
    const c = run.results.fixedRate!.express!;
    for (const id of FLOOR_ROWS) {
      const write = sent(c, id, '/write');
      expect([write.total, write.by.get, write.by.evalsha], `${id} /write`).toEqual(near(2, 1, 1));
      const row = c.rows.find((r) => r.store === id && r.path === '/write')!;
      expect(row.executedPerRequest, `${id} /write executed`).toBeCloseTo(7, 0);
    }
  });
});
