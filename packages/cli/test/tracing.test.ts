import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { useRedis } from '@sessionkit/testing';
import { redisUrl, sessionkit } from './helpers.js';

/**
 * The CLI's long runs on their diagnostics channels: a subscriber loaded into the `sessionkit`
 * process (`node --import`, as an APM agent is) sees `sessionkit:stats` and `sessionkit:migrate`
 * end with their outcome.
 */
const subscriber = `
import diagnostics from 'node:diagnostics_channel';
for (const name of ['stats', 'migrate']) {
  diagnostics.tracingChannel('sessionkit:' + name).subscribe({
    start() {}, end() {}, asyncStart() {}, error() {},
    asyncEnd(ctx) { process.stderr.write('traced ' + JSON.stringify({ operation: ctx.operation, outcome: ctx.outcome }) + '\\n'); },
  });
}`;

const redis = useRedis();

describe('the long runs on sessionkit:<operation> channels', () => {
  it('stats and migrate publish their run, ended with outcome done', async () => {
    const client = redis.client();
    await new SessionStore({ client, prefix: 'sess:' }).set('cli-traced-session-AAAAAAAAAAAAAAAA', { userId: 'ann' }, { userId: 'ann' });
    const env = { NODE_OPTIONS: `--import=data:text/javascript,${encodeURIComponent(subscriber)}` };
    const stats = await sessionkit(['stats', '--url', redisUrl(client)], env);
    expect(stats.code, stats.stderr).toBe(0);
    expect(stats.stderr).toContain('traced {"operation":"stats","outcome":"done"}');
    const migrate = await sessionkit(['migrate', '--dry-run', '--url', redisUrl(client)], env);
    expect(migrate.code, migrate.stderr).toBe(0);
    expect(migrate.stderr).toContain('traced {"operation":"migrate","outcome":"done"}');
    // Without a subscriber, nothing of it shows.
    const quiet = await sessionkit(['stats', '--url', redisUrl(client)]);
    expect(quiet.stderr).not.toContain('traced');
  });
});
