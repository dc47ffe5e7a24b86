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

/** What the store needs of a Redis client, whichever library it comes from. */
export interface StoreClient extends RedisNode {
  /** 'ioredis' (and its fork iovalkey), 'node-redis' (the `redis` package) or 'bun' (Bun's RedisClient, single node). */
  readonly library: 'ioredis' | 'node-redis' | 'bun';
  /** Redis Cluster: a session and its user's index sit in different slots. */
  readonly cluster: boolean;
  /** The client the app passed in. */
  readonly raw: object;
  /** Every master (a single node: the client itself), for SCAN and per-node batches. */
  masters(): RedisNode[];
  /**
   * Groups keys by the master serving their slot, so that each group can go to that master in
   * one batch. Keys whose owner is not known yet come under `undefined` (send them one by one
   * through the client, which follows redirections).
   */
  groupByMaster(keys: readonly string[]): Map<RedisNode | undefined, string[]>;
  /** Calls back with true when the client becomes ready and false when it loses the connection. */
  onConnectionChange(listener: (up: boolean) => void): () => void;
}
