import type { Redis, RedisOptions } from 'ioredis';

/**
 * Counts the commands clients send to Redis while `work` runs, with MONITOR (commands that
 * Lua scripts run inside Redis are not round trips and are left out).
 */
export async function countCommands(
  redis: { client(o?: RedisOptions): Redis },
  work: () => Promise<void>,
): Promise<{ total: number; byName: Record<string, number> }> {
  const side = redis.client();
  await side.ping();
  const monitor = await redis.client().monitor();
  const marker = `sessionkit-marker-${Math.random().toString(36).slice(2)}`;
  const byName: Record<string, number> = {};
  let total = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const name = String(args[0]).toLowerCase();
    if (name === 'echo' && args[1] === marker) return done();
    if (source === 'lua' || name === 'monitor') return;
    byName[name] = (byName[name] ?? 0) + 1;
    total++;
  });
  await work();
  await side.echo(marker);
  await finished;
  monitor.disconnect();
  side.disconnect();
  return { total, byName };
}

/** `3 (evalsha 1, get 2)`: a countCommands result as the figures print it. */
export function formatCounts(counted: { total: number; byName: Record<string, number> }, per = 1): string {
  const names = Object.entries(counted.byName)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return per === 1 ? `${counted.total} (${names})` : `${(counted.total / per).toFixed(2)} per request (${names})`;
}

/**
 * How many times Redis ran `command` (lower case, e.g. 'eval') since it started or since its last
 * `CONFIG RESETSTAT`, from INFO commandstats: every client's calls, child processes' included,
 * without MONITOR's cost.
 */
export async function commandCalls(client: Redis, command: string): Promise<number> {
  const info = await client.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}
