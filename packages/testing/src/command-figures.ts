import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, expect } from 'vitest';
import { countCommands, formatCounts } from './commands.js';

/**
 * The command-counting setup the adapters' commands.test.ts files share: `perRequest` sends the
 * same request `requests` times through a test HTTP client (each must answer 200) and returns
 * the Redis commands per request, counted with MONITOR on the file's server; `figures` collects
 * what each test measured, printed as a table after the file (call from a describe block).
 */
export function useCommandFigures(redis: { client(o?: RedisOptions): Redis }, { requests = 50, labelWidth = 58 } = {}) {
  const figures: Record<string, string> = {};
  afterAll(() => {
    console.log(`\nRedis commands per request over ${requests} requests (MONITOR, script internals excluded):`);
    for (const [label, figure] of Object.entries(figures)) console.log(`  ${label.padEnd(labelWidth)} ${figure}`);
  });
  async function perRequest(
    label: string,
    client: { request(method: 'GET' | 'POST', path: string): Promise<{ status: number }> },
    method: 'GET' | 'POST',
    path: string,
  ): Promise<number> {
    const counted = await countCommands(redis, async () => {
      for (let i = 0; i < requests; i++) {
        const response = await client.request(method, path);
        expect(response.status).toBe(200);
      }
    });
    figures[label] = formatCounts(counted, requests);
    return counted.total / requests;
  }
  return { figures, perRequest, requests };
}
