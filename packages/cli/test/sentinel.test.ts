import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisSentinel, type RedisSentinel } from '@sessionkit/testing';
import { sessionkit, sessionkitJson } from './helpers.js';

/**
 * REDIS_SENTINELS + REDIS_SENTINEL_NAME, as the example apps take them: the CLI asks the
 * sentinels for the primary and works on it (1 primary, 1 replica, 3 sentinels, all real).
 */

let setup: RedisSentinel;

beforeAll(async () => {
  setup = await startRedisSentinel({ name: 'sessions' });
});
afterAll(async () => {
  await setup?.dispose();
});

describe('through Sentinel', () => {
  it('finds the primary from the sentinels; doctor sees a primary with its replica', async () => {
    const env = { REDIS_SENTINELS: setup.sentinels.map((s) => `${s.host}:${s.port}`).join(','), REDIS_SENTINEL_NAME: 'sessions' };
    const run = await sessionkitJson(['doctor', '--samples', '3'], env);
    const topology = run.json.checks.find((c: { id: string }) => c.id === 'topology');
    expect(topology.status).toBe('pass');
    expect(topology.detail).toContain('Single primary with 1 replica');
    expect(run.json.target).toBe(`sentinel master "sessions" via ${env.REDIS_SENTINELS} (REDIS_SENTINELS)`);
    expect(run.code).toBe(0);

    const list = await sessionkit(['list', '42'], env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain('User 42 has no live sessions.');

    // A master name the sentinels do not know: a clear failure, not a hang.
    const unknown = await sessionkit(['--sentinels', env.REDIS_SENTINELS, '--sentinel-name', 'nope', 'list', '42']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^sessionkit: cannot connect to Redis at sentinel master "nope"/m);
  });
});
