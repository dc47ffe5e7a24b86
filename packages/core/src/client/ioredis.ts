import type { Cluster, Redis } from 'ioredis';
import { SessionKitError } from '../errors.js';
import { keySlot } from '../slot.js';
import type { ClusterClient, CommandArgs, RedisNode, SingleNodeClient, StoreClient } from './types.js';

/** An ioredis (or iovalkey) client: `Redis` for a single node or Sentinel, `Cluster` for a cluster. */
export type IoredisClient = Redis | Cluster;

export function isIoredis(client: object): client is IoredisClient {
  const c = client as Partial<Redis>;
  return typeof c.defineCommand === 'function' && typeof c.pipeline === 'function' && typeof c.call === 'function';
}

function isIoredisCluster(client: IoredisClient): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** A pipeline of raw commands (`call` takes any command; the array form wants method names). */
function pipelineOf(client: IoredisClient, commands: readonly CommandArgs[]) {
  const pipeline = client.pipeline();
  for (const args of commands) pipeline.call(String(args[0]), ...args.slice(1));
  return pipeline;
}

function settled(replies: [Error | null, unknown][] | null, count: number): unknown[] {
  if (!replies) return Array.from({ length: count }, () => new Error('the pipeline was discarded'));
  return replies.map(([error, value]) => error ?? value);
}

/** One ioredis connection (a single node, or one master of a cluster). */
class IoredisNode implements RedisNode {
  constructor(protected readonly redis: Redis) {}

  send(args: CommandArgs): Promise<unknown> {
    return this.redis.call(String(args[0]), ...args.slice(1));
  }

  async sendAll(commands: readonly CommandArgs[]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    return settled(await pipelineOf(this.redis, commands).exec(), commands.length);
  }
}

interface Queued {
  args: CommandArgs;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * A single node, whose commands issued in one tick leave in one write. ioredis writes each
 * command on its own otherwise, and Redis pays a read and a write syscall per command, which is
 * most of what a small command costs it (measured in docs/benchmarks.md). Batching here means a
 * user need not turn on `enableAutoPipelining`, which would change every other command of theirs.
 */
class BatchingIoredisNode extends IoredisNode {
  private queue: Queued[] = [];

  override send(args: CommandArgs): Promise<unknown> {
    return new Promise((resolve, reject) => {
      if (this.queue.push({ args, resolve, reject }) === 1) process.nextTick(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 1) {
      const [only] = batch as [Queued];
      super.send(only.args).then(only.resolve, only.reject);
      return;
    }
    this.sendAll(batch.map((queued) => queued.args)).then(
      (replies) => {
        replies.forEach((reply, i) => {
          if (reply instanceof Error) batch[i]!.reject(reply);
          else batch[i]!.resolve(reply);
        });
      },
      (error: unknown) => {
        for (const queued of batch) queued.reject(error);
      },
    );
  }
}

class IoredisSingle extends BatchingIoredisNode implements SingleNodeClient {
  readonly library = 'ioredis' as const;
  readonly cluster = false;

  constructor(readonly raw: Redis) {
    super(raw);
  }

  masters(): RedisNode[] {
    return [this];
  }

  onConnectionChange(listener: (up: boolean) => void): () => void {
    return relayConnection(this.raw, listener);
  }
}

class IoredisCluster implements ClusterClient {
  readonly library = 'ioredis' as const;
  readonly cluster = true;
  private readonly nodes = new WeakMap<Redis, IoredisNode>();

  constructor(readonly raw: Cluster) {}

  /** ioredis finds the slot from the command's keys (EVALSHA's numkeys included) and follows MOVED/ASK. */
  send(args: CommandArgs): Promise<unknown> {
    return this.raw.call(String(args[0]), ...args.slice(1));
  }

  /** Only for commands whose keys share a slot: ioredis sends a cluster pipeline to one node. */
  async sendAll(commands: readonly CommandArgs[]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    return settled(await pipelineOf(this.raw, commands).exec(), commands.length);
  }

  masters(): RedisNode[] {
    return this.raw.nodes('master').map((redis) => this.node(redis));
  }

  /** The slot map names masters by address ("host:port"); the node list is read again each time, as a failover replaces nodes. */
  masterOf(key: string): RedisNode | undefined {
    const address = this.raw.slots[keySlot(key)]?.[0];
    if (address === undefined) return undefined;
    const redis = this.raw.nodes('master').find((node) => `${node.options.host}:${node.options.port}` === address);
    return redis && this.node(redis);
  }

  onConnectionChange(listener: (up: boolean) => void): () => void {
    return relayConnection(this.raw, listener);
  }

  private node(redis: Redis): IoredisNode {
    let node = this.nodes.get(redis);
    if (!node) {
      node = new IoredisNode(redis);
      this.nodes.set(redis, node);
    }
    return node;
  }
}

function relayConnection(client: IoredisClient, listener: (up: boolean) => void): () => void {
  const onReady = () => listener(true);
  const onDown = () => listener(false);
  client.on('ready', onReady);
  client.on('close', onDown);
  client.on('end', onDown);
  return () => {
    client.off('ready', onReady);
    client.off('close', onDown);
    client.off('end', onDown);
  };
}

export function fromIoredis(client: IoredisClient): StoreClient {
  const options = client.options as { keyPrefix?: string; redisOptions?: { keyPrefix?: string } };
  const keyPrefix = options.keyPrefix ?? options.redisOptions?.keyPrefix;
  if (keyPrefix) {
    // The scripts build the keys of evicted sessions themselves, which ioredis would not prefix.
    throw new SessionKitError(
      'ERR_CONFIG',
      `the ioredis client has keyPrefix ${JSON.stringify(keyPrefix)}: SessionKit does not support client key prefixes; pass a client without keyPrefix and use the store's prefix and indexPrefix options instead`,
    );
  }
  return isIoredisCluster(client) ? new IoredisCluster(client) : new IoredisSingle(client);
}
