import { Redis } from 'ioredis';
import { freePort, isPortTaken, RedisServer } from './redis-server.js';

export interface RedisClusterOptions {
  /** Masters that share the 16384 slots. Default 3 (the minimum Redis Cluster accepts for failover votes). */
  masters?: number;
  /** Replicas attached to each master. Default 1. */
  replicasPerMaster?: number;
  /** `cluster-node-timeout` in ms: how long a master may be unreachable before its replica takes over. Default 1000. */
  nodeTimeout?: number;
  /** Extra `redis-server` arguments for every node. */
  args?: string[];
  /** How long to wait for the cluster to form, in ms. Default 30 000. */
  timeoutMs?: number;
}

export interface ClusterAddress {
  host: string;
  port: number;
}

/** One line of CLUSTER NODES, as seen by a live node. */
export interface ClusterNodeInfo extends ClusterAddress {
  id: string;
  role: 'master' | 'replica';
  /** Replicas: the id of their master. */
  masterId?: string;
  /** Masters: inclusive slot ranges. */
  slots: [number, number][];
  /** Flags such as 'fail', 'pfail', 'handshake', 'myself'. */
  flags: string[];
  connected: boolean;
}

export interface FailoverResult {
  /** The node now serving the killed master's slots. */
  newMaster: ClusterAddress;
  /** From the kill to a healthy cluster (every live node says cluster_state:ok). */
  ms: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A short-lived admin connection: one command list, then it is closed. Never retries, never queues. */
export async function adminCommand<T = unknown>(address: ClusterAddress, command: string, ...args: (string | number)[]): Promise<T> {
  const client = new Redis({
    host: address.host,
    port: address.port,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 2000,
    // No CLIENT SETINFO on connect: Redis 7.0 answers it with an error, which would show in INFO errorstats.
    disableClientInfo: true,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.call(command, ...args)) as T;
  } finally {
    client.disconnect();
  }
}

export function parseClusterNodes(text: string): ClusterNodeInfo[] {
  const nodes: ClusterNodeInfo[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [id, address, flagText, master, , , , link, ...slotTexts] = line.split(' ');
    const [hostPort] = (address ?? '').split('@');
    const colon = hostPort!.lastIndexOf(':');
    const flags = (flagText ?? '').split(',');
    const slots: [number, number][] = [];
    for (const text of slotTexts) {
      if (text.startsWith('[')) continue; // a slot being migrated
      const [from, to] = text.split('-').map(Number);
      slots.push([from!, to ?? from!]);
    }
    nodes.push({
      id: id!,
      host: hostPort!.slice(0, colon),
      port: Number(hostPort!.slice(colon + 1)),
      role: flags.includes('master') ? 'master' : 'replica',
      masterId: master && master !== '-' ? master : undefined,
      slots,
      flags,
      connected: link === 'connected',
    });
  }
  return nodes;
}

/**
 * Calls `check` every `intervalMs` until it returns true; a throw counts as not yet (the last
 * one is quoted if time runs out).
 */
export async function poll(what: string, timeoutMs: number, check: () => Promise<boolean>, intervalMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
}

/** The `field:value` lines of an INFO (or CLUSTER INFO) reply; `#` section headers are skipped. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields[line.slice(0, colon)] = line.slice(colon + 1);
  }
  return fields;
}

/**
 * A real Redis Cluster of `redis-server --cluster-enabled yes` processes on loopback ports.
 * Built by hand (CLUSTER ADDSLOTSRANGE / MEET / REPLICATE) so that the layout is fixed:
 * `nodes[i]` for i < masters is a master, and the replicas of master i come after the masters.
 */
export class RedisCluster {
  /** Every node, masters first, whether or not it is still running. */
  readonly nodes: RedisServer[] = [];
  readonly masterCount: number;
  readonly replicasPerMaster: number;
  readonly nodeTimeout: number;
  private readonly killed = new Set<number>();
  private readonly killedSlots = new Map<number, [number, number][]>();
  private readonly busPorts = new Map<number, number>();
  private disposed = false;

  constructor(private readonly options: RedisClusterOptions = {}) {
    this.masterCount = options.masters ?? 3;
    this.replicasPerMaster = options.replicasPerMaster ?? 1;
    this.nodeTimeout = options.nodeTimeout ?? 1000;
    if (this.masterCount < 1) throw new Error('a cluster needs at least one master');
  }

  /** Where a cluster client should connect first: every node started. */
  get startupNodes(): ClusterAddress[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  /** Nodes still running. */
  get liveNodes(): RedisServer[] {
    return this.nodes.filter((n) => !this.killed.has(n.port));
  }

  async start(): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (error) {
        if (attempt >= 3 || !isPortTaken(error)) throw error;
        // startOnce disposed what it started: begin again with new ports.
        this.nodes.length = 0;
        this.busPorts.clear();
        this.disposed = false;
      }
    }
  }

  private async startOnce(): Promise<this> {
    const total = this.masterCount * (1 + this.replicasPerMaster);
    const args = [
      '--cluster-enabled',
      'yes',
      // Relative to --dir, which is each node's own temporary directory.
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      String(this.nodeTimeout),
      // Let a replica take over however long it was cut off: tests kill masters on purpose.
      '--cluster-replica-validity-factor',
      '0',
      // Replicas sync at once instead of waiting 5 s for more replicas to share a diskless transfer.
      '--repl-diskless-sync-delay',
      '0',
      ...(this.options.args ?? []),
    ];
    try {
      for (let i = 0; i < total; i++) {
        // An explicit bus port: the default (port + 10000) may be taken, or above 65535 for a
        // high ephemeral port, which makes redis-server refuse to start.
        const [port, busPort] = [await freePort(), await freePort()];
        this.nodes.push(new RedisServer({ port, args: [...args, '--cluster-port', String(busPort)] }));
        this.busPorts.set(port, busPort);
      }
      await Promise.all(this.nodes.map((n) => n.start()));
      await this.form();
      await this.waitUntilHealthy(this.options.timeoutMs ?? 30_000);
    } catch (error) {
      const logs = this.nodes.map((n) => `--- ${n.port}\n${n.log.slice(-1500)}`).join('\n');
      await this.dispose();
      throw new Error(`Redis Cluster did not form: ${(error as Error).message}\n${logs}`, { cause: error });
    }
    return this;
  }

  private async form(): Promise<void> {
    const masters = this.nodes.slice(0, this.masterCount);
    const ids = await Promise.all(this.nodes.map((n) => adminCommand<string>(n, 'CLUSTER', 'MYID')));
    // Distinct config epochs up front, as redis-cli does, so no epoch collision has to be resolved.
    await Promise.all(this.nodes.map((n, i) => adminCommand(n, 'CLUSTER', 'SET-CONFIG-EPOCH', i + 1)));
    await Promise.all(
      masters.map((n, i) => {
        const from = Math.floor((16384 * i) / this.masterCount);
        const to = Math.floor((16384 * (i + 1)) / this.masterCount) - 1;
        return adminCommand(n, 'CLUSTER', 'ADDSLOTSRANGE', from, to);
      }),
    );
    const first = this.nodes[0]!;
    await Promise.all(this.nodes.slice(1).map((n) => adminCommand(first, 'CLUSTER', 'MEET', n.host, n.port, this.busPorts.get(n.port)!)));
    // Every node must know every other one before a replica can name its master.
    await poll('all nodes to meet', 15_000, async () => {
      for (const n of this.nodes) {
        const known = parseClusterNodes(await adminCommand<string>(n, 'CLUSTER', 'NODES'));
        if (known.length !== this.nodes.length || known.some((k) => k.flags.includes('handshake') || k.flags.includes('noaddr'))) return false;
      }
      return true;
    });
    const replicas = this.nodes.slice(this.masterCount);
    await Promise.all(replicas.map((n, j) => adminCommand(n, 'CLUSTER', 'REPLICATE', ids[j % this.masterCount]!)));
  }

  /** Resolves when every live node says cluster_state:ok with all slots assigned and every replica is in sync. */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    await poll('the cluster to be healthy', timeoutMs, async () => {
      const live = this.liveNodes;
      const views = await Promise.all(live.map((n) => adminCommand<string>(n, 'CLUSTER', 'NODES').then(parseClusterNodes)));
      for (const n of live) {
        const info = parseInfo(await adminCommand<string>(n, 'CLUSTER', 'INFO'));
        if (info.cluster_state !== 'ok' || info.cluster_slots_ok !== '16384') return false;
      }
      // Every live node agrees on who serves the slots, and every live replica's link is up.
      const masterSets = views.map((v) =>
        v
          .filter((x) => x.role === 'master' && x.slots.length && !x.flags.includes('fail'))
          .map((x) => x.port)
          .sort()
          .join(','),
      );
      if (new Set(masterSets).size !== 1) return false;
      const me = views.map((v) => v.find((x) => x.flags.includes('myself'))!);
      for (let i = 0; i < live.length; i++) {
        if (me[i]!.role !== 'replica') continue;
        const repl = parseInfo(await adminCommand<string>(live[i]!, 'INFO', 'replication'));
        if (repl.master_link_status !== 'up') return false;
      }
      return true;
    });
  }

  /** The cluster as one live node sees it. */
  async topology(): Promise<ClusterNodeInfo[]> {
    let lastError: unknown;
    for (const n of this.liveNodes) {
      try {
        return parseClusterNodes(await adminCommand<string>(n, 'CLUSTER', 'NODES'));
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no live cluster node answered: ${String(lastError)}`);
  }

  /** Live masters that serve slots, with their slot ranges. */
  async masters(): Promise<ClusterNodeInfo[]> {
    return (await this.topology()).filter((n) => n.role === 'master' && n.slots.length > 0 && !n.flags.includes('fail'));
  }

  /** The master serving a slot (numbers from CLUSTER KEYSLOT or @sessionkit/core's keySlot). */
  async masterForSlot(slot: number): Promise<ClusterNodeInfo> {
    const owner = (await this.masters()).find((m) => m.slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no master serves slot ${slot}`);
    return owner;
  }

  /** The master serving a key, asking Redis itself for the key's slot. */
  async masterForKey(key: string): Promise<ClusterNodeInfo> {
    const slot = await adminCommand<number>(this.liveNodes[0]!, 'CLUSTER', 'KEYSLOT', key);
    return this.masterForSlot(Number(slot));
  }

  /** The RedisServer process listening on a port. */
  server(port: number): RedisServer {
    const server = this.nodes.find((n) => n.port === port);
    if (!server) throw new Error(`no cluster node on port ${port}`);
    return server;
  }

  /** Kills a master (SIGKILL by default: a crash, nothing flushed). Its replica should take over after the node timeout. */
  async killMaster(port: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const me = (await this.topology()).find((n) => n.port === port);
    if (me?.role !== 'master' || me.slots.length === 0) throw new Error(`node ${port} is not a master serving slots`);
    this.killedSlots.set(port, me.slots);
    this.killed.add(port);
    await this.server(port).stop(signal);
  }

  /**
   * Waits until the slots of a master killed with killMaster are served by another live master
   * and every live node says cluster_state:ok again. `since` is when the master was killed
   * (Date.now()), to measure the outage.
   */
  async waitForFailover(killedPort: number, since: number, timeoutMs = 30_000): Promise<FailoverResult> {
    const slots = this.killedSlots.get(killedPort);
    if (!slots) throw new Error(`node ${killedPort} was not killed with killMaster`);
    let newMaster: ClusterAddress | undefined;
    await poll(`a replica to replace master ${killedPort}`, timeoutMs, async () => {
      const owner = await this.masterForSlot(slots[0]![0]).catch(() => undefined);
      if (!owner || owner.port === killedPort || this.killed.has(owner.port)) return false;
      for (const n of this.liveNodes) {
        const info = parseInfo(await adminCommand<string>(n, 'CLUSTER', 'INFO'));
        if (info.cluster_state !== 'ok') return false;
      }
      newMaster = { host: owner.host, port: owner.port };
      return true;
    });
    return { newMaster: newMaster!, ms: Date.now() - since };
  }

  /** Stops every process and removes every temporary directory. Safe to call twice, and after a failed start. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled(this.nodes.map((n) => n.dispose()));
  }
}

/** Starts a cluster and waits until it serves every slot with every replica in sync. */
export async function startRedisCluster(options?: RedisClusterOptions): Promise<RedisCluster> {
  return new RedisCluster(options).start();
}
