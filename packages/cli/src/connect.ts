import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ConnectionError, UsageError } from './errors.js';

/**
 * Where the CLI connects, and the only file that creates Redis clients. It reads the same
 * environment as the example apps (examples/shared/src/redis.ts), first match wins:
 * `REDIS_URL` (rediss:// for TLS), `REDIS_CLUSTER_NODES`, `REDIS_SENTINELS` with
 * `REDIS_SENTINEL_NAME`; `REDIS_PASSWORD` / `REDIS_SENTINEL_PASSWORD` as there. The flags
 * `--url`, `--cluster-nodes` and `--sentinels` come before the environment. With none of them
 * it connects to redis://127.0.0.1:6379, as redis-cli does (the examples' embedded server makes
 * no sense for a tool that inspects an existing Redis).
 */

export interface ConnectionFlags {
  url?: string;
  clusterNodes?: string;
  sentinels?: string;
  sentinelName?: string;
}

export interface Connection {
  client: Redis | Cluster;
  /** Where it points, passwords masked, e.g. "redis://127.0.0.1:6379 (--url)". */
  description: string;
  cluster: boolean;
  /** Every node that holds keys: the masters of a cluster, or the one client. */
  masters(): Redis[];
  close(): Promise<void>;
}

/**
 * A CLI should fail in seconds, not hang: a command fails after 5 s without an answer, and a
 * connection that was never established is not retried (the first error is the message). Once
 * connected, a dropped connection is retried a few times, so that a long `stats` or `migrate`
 * survives a restart or a failover.
 */
const baseOptions = {
  commandTimeout: 5000,
  connectTimeout: 5000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  // How long disconnect() waits for a socket to close; ioredis's 2 s would hold a failed run.
  disconnectTimeout: 200,
} satisfies RedisOptions;

function parseHostPorts(name: string, value: string): { host: string; port: number }[] {
  const nodes = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(part);
      if (!match) throw new UsageError(`${name}: expected a comma-separated list of host:port, got ${JSON.stringify(part)}`);
      return { host: match[1]!, port: Number(match[2]) };
    });
  if (nodes.length === 0) throw new UsageError(`${name} is set but lists no host:port`);
  return nodes;
}

function maskUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}

type Target =
  | { kind: 'url'; url: string; source: string }
  | { kind: 'cluster'; nodes: string; source: string }
  | { kind: 'sentinel'; sentinels: string; name: string; source: string };

export function resolveTarget(flags: ConnectionFlags, env: NodeJS.ProcessEnv): Target {
  const given = [flags.url && '--url', flags.clusterNodes && '--cluster-nodes', flags.sentinels && '--sentinels'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`use one of --url, --cluster-nodes and --sentinels, not ${given.join(' and ')}`);
  if (flags.sentinelName && !(flags.sentinels || (!flags.url && !flags.clusterNodes && !env.REDIS_URL && !env.REDIS_CLUSTER_NODES && env.REDIS_SENTINELS))) {
    throw new UsageError('--sentinel-name goes with --sentinels (or REDIS_SENTINELS)');
  }
  const sentinelName = flags.sentinelName || env.REDIS_SENTINEL_NAME || 'mymaster';
  if (flags.url) return { kind: 'url', url: flags.url, source: '--url' };
  if (flags.clusterNodes) return { kind: 'cluster', nodes: flags.clusterNodes, source: '--cluster-nodes' };
  if (flags.sentinels) return { kind: 'sentinel', sentinels: flags.sentinels, name: sentinelName, source: '--sentinels' };
  if (env.REDIS_URL) return { kind: 'url', url: env.REDIS_URL, source: 'REDIS_URL' };
  if (env.REDIS_CLUSTER_NODES) return { kind: 'cluster', nodes: env.REDIS_CLUSTER_NODES, source: 'REDIS_CLUSTER_NODES' };
  if (env.REDIS_SENTINELS) return { kind: 'sentinel', sentinels: env.REDIS_SENTINELS, name: sentinelName, source: 'REDIS_SENTINELS' };
  return { kind: 'url', url: 'redis://127.0.0.1:6379', source: 'default; set --url or REDIS_URL' };
}

export async function connect(flags: ConnectionFlags, env: NodeJS.ProcessEnv = process.env): Promise<Connection> {
  const target = resolveTarget(flags, env);
  const password = env.REDIS_PASSWORD || undefined;
  const username = env.REDIS_USERNAME || undefined;
  let connected = false;
  let lastError: Error | undefined;
  let nodeError: Error | undefined;
  const retryStrategy = (times: number) => (connected && times <= 5 ? Math.min(times * 200, 1000) : null);
  // "Connection is closed." follows the error that closed it; keep the one that says why.
  const noteError = (error: Error) => {
    if (!lastError || error.message !== 'Connection is closed.') lastError = error;
  };

  let client: Redis | Cluster;
  let description: string;
  if (target.kind === 'url') {
    if (!/^rediss?:\/\//i.test(target.url))
      throw new UsageError(`${target.source}: expected a redis:// or rediss:// URL, got ${JSON.stringify(maskUrl(target.url))}`);
    client = new Redis(target.url, { ...baseOptions, lazyConnect: true, retryStrategy });
    description = `${maskUrl(target.url)} (${target.source})`;
  } else if (target.kind === 'cluster') {
    const nodes = parseHostPorts(target.source, target.nodes);
    client = new Cluster(nodes, {
      lazyConnect: true,
      clusterRetryStrategy: retryStrategy,
      redisOptions: { ...baseOptions, ...(password ? { password } : {}), ...(username ? { username } : {}) },
    });
    client.on('node error', (error: Error) => {
      if (error.message !== 'Connection is closed.') nodeError ??= error;
    });
    description = `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')} (${target.source})`;
  } else {
    const sentinels = parseHostPorts(target.source, target.sentinels);
    client = new Redis({
      ...baseOptions,
      lazyConnect: true,
      sentinels,
      name: target.name,
      password,
      username,
      sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined,
      retryStrategy,
      sentinelRetryStrategy: (times: number) => (times <= 2 ? 100 : null),
    });
    description = `sentinel master "${target.name}" via ${sentinels.map((n) => `${n.host}:${n.port}`).join(',')} (${target.source})`;
  }
  // Without a listener ioredis prints every connection error with its stack trace.
  client.on('error', noteError);

  try {
    await client.connect();
    connected = true;
  } catch (error) {
    // Already ended when it gave up; disconnect() then would hold the process for 2 s on a dead socket.
    if (client.status !== 'end') client.disconnect();
    // connect() rejects with "Connection is closed."; the error event said why.
    let cause = (lastError ?? error) as Error & { lastNodeError?: Error };
    // A cluster says "Failed to refresh slots cache."; its nodes' errors say why.
    while (cause.lastNodeError) cause = cause.lastNodeError;
    if (cause.message === 'Connection is closed.' && nodeError) cause = nodeError;
    // ioredis keeps a cluster node's socket error to itself: all it reports is the closed connection.
    const reason = client instanceof Cluster && cause.message === 'Connection is closed.' ? 'no seed node answered' : cause.message;
    throw new ConnectionError(`cannot connect to Redis at ${description}: ${reason}`, { cause });
  }

  const cluster = client instanceof Cluster;
  let closing: Promise<void> | undefined;
  return {
    client,
    description,
    cluster,
    masters: () => (cluster ? (client as Cluster).nodes('master') : [client as Redis]),
    close() {
      closing ??= (async () => {
        try {
          await client.quit();
        } catch {
          client.disconnect();
        }
      })();
      return closing;
    },
  };
}
