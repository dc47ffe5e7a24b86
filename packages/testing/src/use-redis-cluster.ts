import { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { NodeRedisClients, type NodeRedisCluster, type NodeRedisVariant } from './node-redis.js';
import { startRedisCluster, type RedisCluster, type RedisClusterOptions } from './redis-cluster.js';

/**
 * One real Redis Cluster for a test file, started in `beforeAll` and disposed in `afterAll`, and a
 * factory of ioredis `Cluster` clients on it. The adapters' cluster tests both use it to run their
 * store as the README shows it: `new RedisStore({ client })` with an ioredis `Cluster`.
 *
 * Kept apart from redis-cluster.ts because it registers vitest hooks, and the launcher is also used
 * outside vitest.
 */
export function useRedisCluster(options: RedisClusterOptions) {
  let cluster: RedisCluster | undefined;
  const clients: Cluster[] = [];
  const nodeRedisClients = new NodeRedisClients();

  beforeAll(async () => {
    cluster = await startRedisCluster(options);
  });
  afterAll(async () => {
    // Clients first: QUIT needs the nodes still up.
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await nodeRedisClients.closeAll();
    await cluster?.dispose();
  });

  return {
    /**
     * A new client, resolved once it is `ready` (its slot map loaded), so the first command a test
     * sends already goes to the right master. Closed in `afterAll`.
     */
    async client(): Promise<Cluster> {
      if (!cluster) throw new Error('useRedisCluster: client() was called before the cluster started (call it from a hook or a test)');
      const client = new Cluster(cluster.startupNodes, { redisOptions: { connectTimeout: 2000 } });
      clients.push(client);
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve);
        client.once('error', reject);
      });
      return client;
    },
    /** A connected node-redis `createCluster` (v5 or v6, see nodeRedisVariants), closed in `afterAll`. */
    nodeRedis(variant: NodeRedisVariant): Promise<NodeRedisCluster> {
      if (!cluster) throw new Error('useRedisCluster: nodeRedis() was called before the cluster started (call it from a hook or a test)');
      return nodeRedisClients.cluster(variant, cluster.startupNodes, { socket: { connectTimeout: 2000 } });
    },
    /** The running cluster (for admin commands and failover). */
    get cluster(): RedisCluster {
      if (!cluster) throw new Error('useRedisCluster: the cluster is not started yet');
      return cluster;
    },
  };
}
