/** One Redis command as its words: `['GET', key]`. */
export type CommandArgs = readonly (string | number)[];

/**
 * A place commands can be sent: the whole client (which routes by key on a cluster) or one
 * master of a cluster. Replies come as the protocol gives them (strings, integers, null, arrays);
 * the store only uses commands whose replies have the same shape in RESP2 and RESP3.
 */
export interface RedisNode {
  /** Sends one command. `key` is the key that routes it on a cluster (ignored on a single node). */
  send(args: CommandArgs, key?: string): Promise<unknown>;
  /**
   * Sends commands together (one write where the client allows), for one node: on a cluster,
   * only a master's own node object may take commands for several slots. Each entry settles on
   * its own: a reply, or the Error that command got.
   */
  sendAll(commands: readonly CommandArgs[]): Promise<unknown[]>;
}

/**
 * What the store needs of a Redis client, whichever library it comes from: a single node (a
 * Sentinel-managed primary included) or a cluster. A single-node client implements `RedisNode`
 * plus the few members below; a cluster client adds `masterOf`.
 */
export type StoreClient = SingleNodeClient | ClusterClient;

interface ClientBase extends RedisNode {
  /** 'ioredis' (and its fork iovalkey), 'node-redis' (the `redis` package) or 'bun' (Bun's RedisClient, single node). */
  readonly library: 'ioredis' | 'node-redis' | 'bun';
  /** The client the app passed in. */
  readonly raw: object;
  /** Every master (a single node: the client itself), for SCAN and per-node batches. */
  masters(): RedisNode[];
  /** Calls back with true when the client becomes ready and false when it loses the connection. */
  onConnectionChange(listener: (up: boolean) => void): () => void;
}

export interface SingleNodeClient extends ClientBase {
  /** A session and its user's index can be named in one script. */
  readonly cluster: false;
}

export interface ClusterClient extends ClientBase {
  /** Redis Cluster: a session and its user's index sit in different slots. */
  readonly cluster: true;
  /**
   * The master serving the key's slot, by the client's slot map, as a node that takes a batch
   * for several of its slots (`sendAll`); undefined while the map does not know the slot yet.
   * groupByMaster (client/index.ts) groups a batch's keys with it.
   */
  masterOf(key: string): RedisNode | undefined;
}
