import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { createClient, createCluster, createSentinel, type RedisClientOptions } from 'redis';
import type { RedisClient } from '@sessionkit/core';

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

/**
 * The node-redis (`redis` package) counterpart of `redisClientOptions`, for REDIS_CLIENT=node-redis:
 * - commandOptions.timeout 2000: a command still waiting to be written (the offline queue while
 *   reconnecting) fails after 2 s. node-redis 6 does this by default with 5 s; 5 does not.
 *   Unlike ioredis's commandTimeout it does not bound the wait for a reply once the command is
 *   written: see docs/reliability.md for what that means when Redis stalls.
 * - socket.connectTimeout 5000 and a reconnect back-off of 50 ms more per attempt, at most 2 s
 *   (as ioredis's default), so the app serves again within ~2 s of Redis coming back.
 */
export const nodeRedisClientOptions = Object.freeze({
  commandOptions: { timeout: 2000 },
  socket: { connectTimeout: 5000, reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), 2000) },
} satisfies RedisClientOptions);

/** Which client library `connectRedis` builds, from REDIS_CLIENT. */
export type ClientLibrary = 'ioredis' | 'node-redis' | 'bun';

export interface RedisConnection {
  /**
   * Ready for commands: with REDIS_CLIENT=ioredis (the default) an ioredis `Redis` (single node
   * or Sentinel) or `Cluster`; with REDIS_CLIENT=node-redis a connected node-redis
   * `createClient`, `createCluster` or `createSentinel`. Either goes to `new RedisStore({ client })`.
   */
  client: RedisClient;
  library: ClientLibrary;
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

function clientLibrary(env: NodeJS.ProcessEnv): ClientLibrary {
  const value = (env.REDIS_CLIENT ?? '').trim().toLowerCase();
  if (value === '' || value === 'ioredis') return 'ioredis';
  if (value === 'node-redis' || value === 'redis') return 'node-redis';
  if (value === 'bun') return 'bun';
  throw new Error(`REDIS_CLIENT must be "ioredis" (the default), "node-redis" or "bun", got ${JSON.stringify(env.REDIS_CLIENT)}`);
}

type Emitter = { on(event: string, listener: (...args: never[]) => void): unknown; off(event: string, listener: (...args: never[]) => void): unknown };

/**
 * The client's state as last seen, without a round trip (for /health): ioredis's `status`;
 * for node-redis 'ready' or 'reconnecting' (a cluster: 'ready' while open), 'end' once closed.
 */
export function clientStatus(client: RedisClient): string {
  const c = client as { status?: unknown; isReady?: unknown; isOpen?: unknown; connected?: unknown; onconnect?: unknown };
  if (typeof c.status === 'string') return c.status;
  // Bun's RedisClient: `connected`, and it reconnects by itself.
  if (typeof c.connected === 'boolean' && 'onconnect' in c) return c.connected ? 'ready' : 'reconnecting';
  if (c.isOpen !== true) return 'end';
  return c.isReady === false ? 'reconnecting' : 'ready';
}

/** Waits for `ready` (ioredis) or for `connect()` to resolve (node-redis), at most `timeoutMs`. */
async function whenReady(client: RedisClient, connect: (() => Promise<unknown>) | undefined, description: string, timeoutMs: number): Promise<void> {
  if (!connect && (client as Redis).status === 'ready') return;
  const emitter = client as unknown as Emitter;
  await new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    let settled = false;
    const onError = (error: Error) => {
      lastError = error;
    };
    const timer = setTimeout(() => {
      finish();
      reject(
        new Error(
          `Redis at ${description} was not ready within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}. Check that it runs and that the address is right.`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      finish();
      resolve();
    };
    const finish = () => {
      settled = true;
      clearTimeout(timer);
      emitter.off('ready', onReady);
      emitter.off('error', onError);
    };
    emitter.on('error', onError);
    if (connect) {
      // node-redis retries a failed connect by itself (reconnectStrategy): connect() resolves once ready.
      connect().then(
        () => !settled && onReady(),
        (error: Error) => {
          if (settled) return;
          finish();
          reject(
            new Error(`Redis at ${description} could not be reached: ${error.message}. Check that it runs and that the address is right.`, { cause: error }),
          );
        },
      );
    } else {
      emitter.on('ready', onReady);
    }
  });
}

async function quit(client: RedisClient): Promise<void> {
  const c = client as { quit?: () => Promise<unknown>; close?: () => Promise<unknown>; destroy?: () => unknown; disconnect?: () => unknown; isOpen?: boolean };
  if (typeof c.isOpen === 'boolean') {
    // node-redis: close() waits for replies in flight; a client that never connected is destroyed.
    if (!c.isOpen) return;
    try {
      await c.close!();
    } catch {
      c.destroy?.();
    }
    return;
  }
  try {
    await c.quit!();
  } catch {
    c.disconnect?.();
  }
}

function ioredisClient(env: NodeJS.ProcessEnv, password: string | undefined): { client: Redis | Cluster; description: string } | undefined {
  if (env.REDIS_URL) {
    return { client: new Redis(env.REDIS_URL, { ...redisClientOptions }), description: `${env.REDIS_URL.replace(/\/\/([^@/]*)@/, '//***@')} (REDIS_URL)` };
  }
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = parseHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES);
    return {
      client: new Cluster(nodes, { redisOptions: { ...redisClientOptions, ...(password ? { password } : {}) } }),
      description: `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES)`,
    };
  }
  if (env.REDIS_SENTINELS) {
    const sentinels = parseHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS);
    const name = env.REDIS_SENTINEL_NAME || 'mymaster';
    return {
      client: new Redis({ ...redisClientOptions, sentinels, name, password, sentinelPassword: env.REDIS_SENTINEL_PASSWORD || undefined }),
      description: `sentinel master "${name}" via ${sentinels.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_SENTINELS)`,
    };
  }
  return undefined;
}

/** node-redis clients are made unconnected; `connect` is called by whenReady. */
function nodeRedisClient(
  env: NodeJS.ProcessEnv,
  password: string | undefined,
): { client: RedisClient; description: string; connect: () => Promise<unknown> } | undefined {
  const made = <C extends { connect(): Promise<unknown> }>(client: C, description: string) => ({
    client: client as unknown as RedisClient,
    description,
    connect: () => client.connect(),
  });
  if (env.REDIS_URL) {
    return made(createClient({ ...nodeRedisClientOptions, url: env.REDIS_URL }), `${env.REDIS_URL.replace(/\/\/([^@/]*)@/, '//***@')} (REDIS_URL, node-redis)`);
  }
  if (env.REDIS_CLUSTER_NODES) {
    const nodes = parseHostPorts('REDIS_CLUSTER_NODES', env.REDIS_CLUSTER_NODES);
    return made(
      createCluster({
        rootNodes: nodes.map((node) => ({ socket: node })),
        defaults: { ...nodeRedisClientOptions, ...(password ? { password } : {}) },
      }),
      `cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_CLUSTER_NODES, node-redis)`,
    );
  }
  if (env.REDIS_SENTINELS) {
    const sentinels = parseHostPorts('REDIS_SENTINELS', env.REDIS_SENTINELS);
    const name = env.REDIS_SENTINEL_NAME || 'mymaster';
    const sentinelPassword = env.REDIS_SENTINEL_PASSWORD || undefined;
    return made(
      createSentinel({
        name,
        sentinelRootNodes: sentinels,
        nodeClientOptions: { ...nodeRedisClientOptions, ...(password ? { password } : {}) },
        ...(sentinelPassword ? { sentinelClientOptions: { password: sentinelPassword } } : {}),
      }),
      `sentinel master "${name}" via ${sentinels.map((n) => `${n.host}:${n.port}`).join(',')} (REDIS_SENTINELS, node-redis)`,
    );
  }
  return undefined;
}

/**
 * A Redis client from the environment, first match wins:
 * - `REDIS_URL` (e.g. redis://:secret@host:6379/0, rediss:// for TLS): one client;
 * - `REDIS_CLUSTER_NODES` ("host:port,host:port"): a Cluster client seeded with those nodes;
 * - `REDIS_SENTINELS` ("host:port,...") with `REDIS_SENTINEL_NAME` (default "mymaster"): Sentinel;
 *   `REDIS_PASSWORD` / `REDIS_SENTINEL_PASSWORD` are passed on when set;
 * - otherwise an embedded redis-server on a free loopback port (a development convenience that
 *   needs a redis-server binary; its data is thrown away on exit).
 * `REDIS_CLIENT` picks the library: `ioredis` (default), `node-redis` (the `redis` package, as
 * connect-redis 9/10 apps use) or `bun` (Bun's RedisClient, on Bun, single node: see connectBun).
 */
export async function connectRedis(options: ConnectRedisOptions = {}): Promise<RedisConnection> {
  const env = options.env ?? process.env;
  const log = options.log ?? ((line: string) => console.log(line));
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const password = env.REDIS_PASSWORD || undefined;
  const library = clientLibrary(env);
  if (library === 'bun') return connectBun(env, log);

  let made: { client: RedisClient; description: string; connect?: () => Promise<unknown> } | undefined =
    library === 'node-redis' ? nodeRedisClient(env, password) : ioredisClient(env, password);
  let stopEmbedded: (() => Promise<void>) | undefined;

  if (!made) {
    // Loaded only here: production deployments set REDIS_* and never need the test launcher.
    const server = await startEmbedded();
    const description = embeddedDescription(server);
    made =
      library === 'node-redis'
        ? nodeRedisClient({ ...env, REDIS_URL: server.url }, undefined)!
        : { client: new Redis({ ...redisClientOptions, host: server.host, port: server.port }), description };
    made.description = description + (library === 'node-redis' ? ' (node-redis)' : '');
    stopEmbedded = () => server.dispose();
  }
  const { client, description } = made;
  const emitter = client as unknown as Emitter;
  // node-redis throws an 'error' event nobody listens to; collect them from the start.
  let lastMessage = '';
  const onError = (error: Error) => {
    if (error.message === lastMessage) return;
    lastMessage = error.message;
    console.error(`Redis error: ${error.message}`);
  };

  try {
    if (made.connect) emitter.on('error', () => {});
    await whenReady(client, made.connect, description, readyTimeoutMs);
  } catch (error) {
    const c = client as { disconnect?: () => unknown; destroy?: () => unknown; isOpen?: boolean };
    if (typeof c.isOpen === 'boolean') {
      if (c.isOpen) c.destroy?.();
    } else {
      c.disconnect?.();
    }
    await stopEmbedded?.();
    throw error;
  }
  log(`Redis: ${description}`);
  // ioredis prints a stack trace for every failed reconnect when nobody listens; one line per
  // change of error is enough (the client keeps reconnecting on its own).
  emitter.on('error', onError);
  const onBack = () => {
    if (lastMessage) log('Redis: connected again');
    lastMessage = '';
  };
  emitter.on('ready', onBack);

  let closing: Promise<void> | undefined;
  return {
    client,
    library,
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

/** An embedded redis-server, or a one-line reason it cannot be started. */
async function startEmbedded() {
  // Loaded only here: production deployments set REDIS_* and never need the test launcher.
  const { RedisServer } = await import('@sessionkit/testing');
  const server = new RedisServer();
  try {
    await server.start();
  } catch (error) {
    await server.dispose().catch(() => {});
    // One line (the example prints it as the reason it cannot start): what is missing and the two fixes.
    const reason = (error as Error).message.startsWith('No redis-server binary found') ? 'none on PATH' : (error as Error).message.split('\n')[0];
    throw new Error(
      `no REDIS_URL, REDIS_CLUSTER_NODES or REDIS_SENTINELS is set, and no redis-server could be started to embed (${reason}). ` +
        'Set REDIS_URL=redis://host:6379 to use your own Redis, or install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis).',
      { cause: error },
    );
  }
  return server;
}

function embeddedDescription(server: { url: string; pid?: number | undefined; dir: string }): string {
  return `${server.url} (embedded redis-server, pid ${server.pid}, data in ${server.dir}; set REDIS_URL to use your own)`;
}

/** What the examples use of Bun's RedisClient (no Bun types are installed; see @sessionkit/testing's bun.ts). */
interface BunRedis {
  connect(): Promise<void>;
  close(): void;
}
type BunRedisClass = new (url: string, options: { connectionTimeout: number; autoReconnect: boolean }) => BunRedis;

/**
 * REDIS_CLIENT=bun: Bun's built-in RedisClient, on the Bun runtime only, single node only
 * (REDIS_URL or the embedded redis-server): it has no Cluster or Sentinel support. It reconnects
 * by itself; it has no per-command timeout like ioredis's commandTimeout.
 */
async function connectBun(env: NodeJS.ProcessEnv, log: (line: string) => void): Promise<RedisConnection> {
  const RedisClientClass = (globalThis as { Bun?: { RedisClient?: BunRedisClass } }).Bun?.RedisClient;
  if (!RedisClientClass) throw new Error("REDIS_CLIENT=bun needs the Bun runtime (Bun's RedisClient): run the app with bun");
  if (!env.REDIS_URL && (env.REDIS_CLUSTER_NODES || env.REDIS_SENTINELS)) {
    throw new Error("REDIS_CLIENT=bun: Bun's RedisClient has no Cluster or Sentinel support; set REDIS_URL, or use REDIS_CLIENT=ioredis");
  }
  const server = env.REDIS_URL ? undefined : await startEmbedded();
  const url = env.REDIS_URL ?? server!.url;
  const description = server ? `${embeddedDescription(server)} (bun)` : `${url.replace(/\/\/([^@/]*)@/, '//***@')} (REDIS_URL, bun)`;
  const client = new RedisClientClass(url, { connectionTimeout: 5000, autoReconnect: true });
  try {
    await client.connect();
  } catch (error) {
    client.close();
    await server?.dispose();
    throw new Error(`Redis at ${description} could not be reached: ${(error as Error).message}. Check that it runs and that the address is right.`, {
      cause: error,
    });
  }
  log(`Redis: ${description}`);
  let closing: Promise<void> | undefined;
  return {
    client: client as unknown as RedisClient,
    library: 'bun',
    description,
    close() {
      closing ??= (async () => {
        client.close();
        await server?.dispose();
      })();
      return closing;
    },
  };
}
