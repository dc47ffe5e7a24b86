import type { Cluster, Redis } from 'ioredis';
import { withScripts, type ScriptClient } from './commands.js';
import { keySlot } from './slot.js';

export function isCluster(client: Redis | Cluster): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** Every node that holds keys: the masters of a cluster, or the one client. */
export function dataNodes(client: Redis | Cluster): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * Groups keys by the cluster master that serves their slot, so each node gets one pipeline and
 * no command ever spans slots. Keys whose slot owner is unknown go in the `undefined` group.
 */
export function groupByNode(cluster: Cluster, keys: string[]): Map<Redis | undefined, string[]> {
  const byAddress = new Map<string, Redis>();
  for (const node of cluster.nodes('master')) byAddress.set(`${node.options.host}:${node.options.port}`, node);
  const groups = new Map<Redis | undefined, string[]>();
  for (const key of keys) {
    const address = cluster.slots[keySlot(key)]?.[0];
    const node = address ? byAddress.get(address) : undefined;
    const group = groups.get(node);
    if (group) group.push(key);
    else groups.set(node, [key]);
  }
  return groups;
}

/**
 * Runs one single-key script per key, one pipeline per master, all masters in parallel. A key
 * that moved mid-way (MOVED/ASK after a failover or reshard) is retried through the cluster
 * client, which follows the redirection.
 */
export async function runPerKeyOnNodes(
  cluster: Cluster,
  keys: string[],
  call: (client: ScriptClient, key: string) => Promise<unknown>,
  queue: (pipeline: ScriptClient, key: string) => void,
): Promise<unknown[]> {
  const results: unknown[] = [];
  const clusterClient = withScripts(cluster);
  await Promise.all(
    [...groupByNode(cluster, keys)].map(async ([node, group]) => {
      if (!node) {
        results.push(...(await Promise.all(group.map((key) => call(clusterClient, key)))));
        return;
      }
      const pipeline = withScripts(node).pipeline();
      for (const key of group) queue(pipeline as unknown as ScriptClient, key);
      const replies = (await pipeline.exec()) ?? [];
      await Promise.all(
        replies.map(async ([error, value], i) => {
          results.push(error ? await call(clusterClient, group[i]!) : value);
        }),
      );
    }),
  );
  return results;
}

/** SCAN over every node for a MATCH pattern; yields batches of keys. */
export async function* scanAll(client: Redis | Cluster, pattern: string, count: number): AsyncGenerator<string[]> {
  for (const node of dataNodes(client)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', count);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }
}
