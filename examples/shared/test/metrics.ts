import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '@sessionkit/testing';
import type { AgentClass } from './agent.js';
import { useEntryPoint } from './entry-point.js';

/** The value of one sample of a Prometheus scrape whose labels include `labels`; 0 when absent. */
export function sampleOf(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf('}')).split(',');
    if (wanted.every((pair) => inside.includes(pair))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

/**
 * `METRICS=1`: the real entry point (as `npm run example:*` starts it) serves SessionKit's
 * metrics on GET /metrics in Prometheus's text format, counting what its requests did. Call it
 * once, at the top level of the app's main.test.ts.
 */
export function defineMetricsSuite({ main: mainPath, sessionSecret, Agent }: { main: string; sessionSecret: string; Agent: AgentClass }): void {
  const startMain = useEntryPoint(mainPath);
  describe(`${mainPath} with METRICS=1`, () => {
    const server = new RedisServer();
    beforeAll(async () => {
      await server.start();
    });
    afterAll(async () => {
      await server.dispose();
    });

    it('GET /metrics: Prometheus text counting the sign-ins and page views the app served', async () => {
      const main = await startMain({ PORT: String(await freePort()), SESSION_SECRET: sessionSecret, REDIS_URL: server.url, METRICS: '1' });
      const scrape = async () => {
        const res = await fetch(`${main.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
        expect(res.headers.getSetCookie()).toEqual([]); // a scrape starts no session
        return res.text();
      };
      const before = await scrape();
      const alice = new Agent();
      const bob = new Agent();
      await alice.signIn(main.url, 'alice');
      await bob.signIn(main.url, 'bob');
      for (let i = 0; i < 3; i++) expect(await alice.whoAmI(main.url)).toBe('Alice Liddell');
      const after = await scrape();

      const delta = (name: string, labels: Record<string, string>) => sampleOf(after, name, labels) - sampleOf(before, name, labels);
      // Two sign-ins wrote two sessions; the three page views read alice's (and may have touched it).
      expect(delta('sessionkit_operations_total', { operation: 'set', outcome: 'stored' })).toBeGreaterThanOrEqual(2);
      expect(delta('sessionkit_operations_total', { operation: 'get', outcome: 'hit' })).toBeGreaterThanOrEqual(3);
      expect(delta('sessionkit_operation_duration_seconds_count', { operation: 'get', outcome: 'hit' })).toBeGreaterThanOrEqual(3);
      expect(after).toMatch(/^sessionkit_operation_duration_seconds_bucket\{operation="get",outcome="hit",[^}]*le="\+Inf"\} \d+$/m);
      expect(after).toContain('# TYPE sessionkit_operations_total counter');
      // No session id, tag or user on a metric.
      expect(after).not.toContain(alice.sid!);
      expect(after).not.toMatch(/alice|bob/i);
      expect(await main.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    });
  });
}
