import { Cluster, Redis, type RedisOptions } from 'ioredis';

/**
 * The ioredis settings the examples use, and that docs/reliability.md recommends for a session
 * store: every command settles within `commandTimeout` whatever Redis does (down, paused,
 * overloaded), so a request that needs its session fails fast (503) instead of hanging.
 * - commandTimeout 2000: a Redis that accepts connections but does not answer (SIGSTOP, a long
 *   blocking script, swap) fails the command after 2 s. The timer starts when the command is
 *   issued, so it also bounds time spent in the offline queue.
 * - maxRetriesPerRequest 1: while the connection is down, queued commands fail after the first
 *   failed reconnect attempt (ioredis's default, 20, holds them for ~10 s).
 * - enableOfflineQueue true (ioredis's default): commands issued during a reconnect wait for it
 *   (bounded by the two settings above) instead of failing at once.
 * - connectTimeout 5000: a host that drops packets is reported in 5 s, not 10.
 * Reconnects use ioredis's default back-off (50 ms more per attempt, at most 2 s), so the app
 * serves again within ~2 s of Redis coming back, by itself.
 */
export const redisClientOptions = Object.freeze({
  commandTimeout: 2000,
  maxRetriesPerRequest: 1,
  enableOfflineQueue: true,
  connectTimeout: 5000,
} satisfies RedisOptions);

export interface RedisConnection {
  /** ioredis `Redis` (single node or Sentinel) or `Cluster`, ready for commands. */
  client: Redis | Cluster;
  /** Where it points, for the startup log, e.g. "redis://127.0.0.1:6379 (REDIS_URL)". */
  description: string;
  /** Quits the client, and stops the embedded redis-server when there is one. */
  close(): Promise<void>;
}

export interface ConnectRedisOptions {
  /** Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Startup messages. Default `console.log`. */
  log?: (line: string) => void;
  /** How long to wait for the connection to become ready. Default 10 s. */
  readyTimeoutMs?: number;
}

function parseHostPorts(name: string, value: string): { host: string; port: number }[] {
  const nodes = value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const match = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(part);
      if (!match) throw new Error(`${name}: expected a comma-separated list of host:port, got ${JSON.stringify(part)}`);
      return { host: match[1]!, port: Number(match[2]) };
    });
  if (nodes.length === 0) throw new Error(`${name} is set but lists no host:port`);
  return nodes;
}

async function whenReady(client: Redis | Cluster, description: string, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (error: Error) => {
      lastError = error;
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis at ${description} was not ready within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
    };
    client.on('ready', onReady);
    client.on('error', onError);
  });
}

async function quit(client: Redis | Cluster): Promise<void> {
  try {
    await client.quit();
  } catch {
    client.disconnect();
  }
}

/**
 * A Redis client from the environment, first match wins:
 * - `REDIS_URL` (e.g. redis://:secret@host:6379/0, rediss:// for TLS): one ioredis client;
 * - `REDIS_CLUSTER_NODES` ("host:port,host:port"): an ioredis Cluster seeded with those nodes;
 * - `REDIS_SENTINELS` ("host:port,...") with `REDIS_SENTINEL_NAME` (default "mymaster"): Sentinel;
 *   `REDIS_PASSWORD` / `REDIS_SENTINEL_PASSWORD` are passed on when set;
 * - otherwise an embedded redis-server on a free loopback port (a development convenience that
 *   needs a redis-server binary; its data is thrown away on exit).
 */
export async function connectRedis(options: ConnectRedisOptions = {}): Promise<RedisConnection> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const password = env.REDIS_PASSWORD || undefined;

  let client: Redis | Cluster;
  let description: string;
  let stopEmbedded: (() => Promise<void>) | undefined;

  if (env.REDIS_URL) {
    client = new Redis(env.REDIS_URL, { ...redisClientOptions });
    description = `${env.REDIS_URL.replace(/\/\/([^@/]*)@/, '//***@')} (REDIS_URL)`;
  } else if (env.REDIS_CLUSTER_NODES) {
    const nodes = parseHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES);
    client = new Cluster(nodes, { redisOptions: { ...redisClientOptions, ...(password ? { password } : {}) } });
    description = `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`;
  } else if (env.REDIS_SENTINELS) {
    const sentinels = parseHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS);
    const name = env.REDIS_SENTINEL_NAME || 'mymaster';
    client = new Redis({ ...redisClientOptions, sentinels, name, password, sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined });
    description = `sentinel master "${name}" via ${sentinels.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_SENTINELS)`;
  } else {
    // Loaded only here: production deployments set REDIS_* and never need the test launcher.
    const { RedisServer } = await import('@sessionkit/testing');
    const server = new RedisServer();
    try {
      await server.start();
    } catch (error) {
      await server.dispose().catch(() => {});
      throw new Error(
        `No REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set, and an embedded redis-server could not be started.\n` +
          `Set REDIS_URL=redis://host:6379 to use your own Redis, or install one.\n${(error as Error).message}`,
        { cause: error },
      );
    }
    client = new Redis({ ...redisClientOptions, host: server.host, port: server.port });
    description = `${server.url} (embedded redis-server, pid ${server.pid}, data in ${server.dir}; set REDIS_URL to use your own)`;
    stopEmbedded = () => server.dispose();
  }

  try {
    await whenReady(client, description, readyTimeoutMs);
  } catch (error) {
    client.disconnect();
    await stopEmbedded?.();
    throw error;
  }
  log(`Redis: ${description}`);
  // ioredis prints a stack trace for every failed reconnect when nobody listens; one line per
  // change of error is enough (the client keeps reconnecting on its own).
  let lastMessage = '';
  client.on('error', (error: Error) => {
    if (error.message === lastMessage) return;
    lastMessage = error.message;
    console.error(`Redis error: ${error.message}`);
  });
  client.on('ready', () => {
    if (lastMessage) log('Redis: connected again');
    lastMessage = '';
  });

  let closing: Promise<void> | undefined;
  return {
    client,
    description,
    close() {
      closing ??= (async () => {
        await quit(client);
        await stopEmbedded?.();
      })();
      return closing;
    },
  };
}
