import type { Redis } from 'ioredis';
import type { FrameworkStore } from '@sessionkit/core';
import type { ComplianceTarget, TestSession } from '@sessionkit/testing';

export { useRedis } from '@sessionkit/testing';

/**
 * A core FrameworkStore as the shared compliance suite takes it. Its promise API already is the
 * suite's contract, so the store goes in as it is. The single-node, Cluster and ioredis 6 runs
 * all use this, so they differ only in the client.
 */
export function complianceTarget(store: FrameworkStore<TestSession>): ComplianceTarget {
  return { store, teardown: async () => {} };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls per command since the last reset, from INFO commandstats (what Redis itself executed). */
export async function commandCalls(client: Redis): Promise<Record<string, number>> {
  const info = await client.info('commandstats');
  const calls: Record<string, number> = {};
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls[match[1]!] = Number(match[2]);
  return calls;
}

/**
 * Counts socket writes a client makes while `work` runs: each write is one batch of commands
 * sent before waiting, so the count is an upper bound on round trips. Instruments the real
 * socket; nothing is stubbed.
 */
export async function countWrites<R>(client: Redis, work: () => Promise<R>): Promise<{ writes: number; result: R }> {
  const { writes, result } = await countWritesEach([client], work);
  return { writes: writes[0]!, result };
}

/**
 * `countWrites` for several connections at once, e.g. every master connection of a cluster
 * client (`cluster.nodes('master')`): `writes[i]` is what `clients[i]`'s socket was handed.
 */
export async function countWritesEach<R>(clients: Redis[], work: () => Promise<R>): Promise<{ writes: number[]; result: R }> {
  // A connected socket to instrument: cluster node connections are opened lazily.
  await Promise.all(clients.map((client) => client.ping()));
  const writes = clients.map(() => 0);
  const restore = clients.map((client, i) => {
    const stream = (client as unknown as { stream: { write: (...args: unknown[]) => boolean } }).stream;
    const original = stream.write;
    stream.write = function (this: unknown, ...args: unknown[]) {
      writes[i]!++;
      return original.apply(this, args);
    };
    return () => {
      stream.write = original;
    };
  });
  try {
    const result = await work();
    return { writes, result };
  } finally {
    for (const undo of restore) undo();
  }
}

export { rawRecord, recordData, withRecordData, type RawRecord } from '@sessionkit/testing';

/**
 * The ioredis client a store was built on, typed as such: `store.client` is typed as any client
 * the store accepts (ioredis or node-redis), and these tests inspect Redis through ioredis.
 */
export function ioredisOf(store: { client: unknown }): Redis {
  return store.client as Redis;
}
