import {
  createClient,
  createCluster,
  createSentinel,
  type RedisClientOptions,
  type RedisClientType,
  type RedisClusterType,
  type RedisSentinelType,
} from 'redis';
import { createClient as createClient6, createCluster as createCluster6, createSentinel as createSentinel6 } from 'redis6';
import type { ClusterAddress } from './redis-cluster.js';

/**
 * node-redis clients for tests, in both supported majors: `redis` (v5, RESP2 by default) and
 * `redis6` (the v6 alias, RESP3 by default, a 5 s command timeout by default). Typed as v5's
 * types, which the store's types name: two copies of node-redis sit side by side here, and v6's
 * classes are not assignable to v5's.
 */
// biome-ignore lint/suspicious/noExplicitAny: any modules, scripts and RESP: the store takes whatever client the app built
export type NodeRedisSingle = RedisClientType<any, any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: any modules, scripts and RESP: the store takes whatever client the app built
export type NodeRedisCluster = RedisClusterType<any, any, any, any, any>;
// biome-ignore lint/suspicious/noExplicitAny: any modules, scripts and RESP: the store takes whatever client the app built
export type NodeRedisSentinel = RedisSentinelType<any, any, any, any, any>;

export interface NodeRedisVariant {
  /** For test titles: "node-redis 5 (RESP2)". */
  name: string;
  major: 5 | 6;
  RESP: 2 | 3;
}

/** Each major at its default protocol: what an app gets from `createClient()` without options. */
export const nodeRedisVariants: readonly NodeRedisVariant[] = Object.freeze([
  { name: 'node-redis 5 (RESP2)', major: 5, RESP: 2 },
  { name: 'node-redis 6 (RESP3)', major: 6, RESP: 3 },
]);

/**
 * Every client a topology test runs on: ioredis 5 and each node-redis variant. Files that test
 * one topology run their tests once per entry (`describe.each(testClients)`) instead of one copy
 * of the file per client; `library` says how to connect, and `tag` is a short suffix for key
 * prefixes ('' for ioredis, the major for node-redis) so the clients' keys never meet.
 */
export type TestClient = { name: 'ioredis'; library: 'ioredis'; tag: '' } | (NodeRedisVariant & { library: 'node-redis'; tag: string });

export const testClients: readonly TestClient[] = Object.freeze([
  { name: 'ioredis', library: 'ioredis', tag: '' } as const,
  ...nodeRedisVariants.map((variant) => ({ ...variant, library: 'node-redis' as const, tag: String(variant.major) })),
]);

type Closable = { isOpen: boolean; close(): Promise<unknown>; destroy(): unknown };

/** Closes what it made; call `closeAll` in `afterAll`. */
export class NodeRedisClients {
  private readonly made: Closable[] = [];

  /** A connected `createClient` for `host:port` (`options` as node-redis takes them: `socket`, `RESP`, ...). */
  async client(variant: NodeRedisVariant, address: ClusterAddress, options: RedisClientOptions = {}): Promise<NodeRedisSingle> {
    const create = (variant.major === 6 ? createClient6 : createClient) as unknown as typeof createClient;
    const client = create({
      RESP: variant.RESP,
      ...options,
      socket: { host: address.host, port: address.port, ...(options.socket as object | undefined) },
    } as RedisClientOptions) as unknown as NodeRedisSingle;
    return this.connect(client);
  }

  /** A connected `createCluster` seeded with `nodes`. */
  async cluster(variant: NodeRedisVariant, nodes: ClusterAddress[], defaults: RedisClientOptions = {}): Promise<NodeRedisCluster> {
    const create = (variant.major === 6 ? createCluster6 : createCluster) as unknown as typeof createCluster;
    const cluster = create({
      rootNodes: nodes.map((node) => ({ socket: { host: node.host, port: node.port } })),
      defaults: { RESP: variant.RESP, ...defaults },
    } as Parameters<typeof createCluster>[0]) as unknown as NodeRedisCluster;
    return this.connect(cluster);
  }

  /** A connected `createSentinel` for the master `name`. */
  async sentinel(variant: NodeRedisVariant, name: string, sentinels: ClusterAddress[], nodeClientOptions: RedisClientOptions = {}): Promise<NodeRedisSentinel> {
    const create = (variant.major === 6 ? createSentinel6 : createSentinel) as unknown as typeof createSentinel;
    const sentinel = create({
      name,
      sentinelRootNodes: sentinels,
      nodeClientOptions: { RESP: variant.RESP, ...nodeClientOptions },
    } as Parameters<typeof createSentinel>[0]) as unknown as NodeRedisSentinel;
    return this.connect(sentinel);
  }

  /**
   * Closes every client made here (those already closed by a test are skipped). A client whose
   * server is gone may wait forever for replies to close: after 2 s it is destroyed instead.
   */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.made.splice(0).map(async (client) => {
        if (!client.isOpen) return;
        let timer: NodeJS.Timeout | undefined;
        const closed = await Promise.race([
          client.close().then(
            () => true,
            () => false,
          ),
          new Promise<boolean>((resolve) => {
            timer = setTimeout(resolve, 2000, false);
          }),
        ]);
        clearTimeout(timer);
        if (!closed && client.isOpen) {
          try {
            client.destroy();
          } catch {
            // already gone
          }
        }
      }),
    );
  }

  private async connect<C>(client: C): Promise<C> {
    const c = client as unknown as Closable & { connect(): Promise<unknown>; on(event: string, listener: (error: Error) => void): unknown };
    // node-redis throws an 'error' event nobody listens to; tests that kill servers see many.
    c.on('error', () => {});
    this.made.push(c);
    await c.connect();
    return client;
  }
}
