import { SessionKitError } from '../errors.js';
import type { CommandArgs, RedisNode, SingleNodeClient, StoreClient } from './types.js';

/*
 * Bun's built-in Redis client (`import { RedisClient } from 'bun'`, Bun 1.4), single node only.
 * Nothing here imports 'bun': core loads on Node too, and its declarations must not need Bun's
 * types. What the store uses of the client is written out structurally below.
 *
 * What Bun's client is, as far as the store is concerned (docs/core.md, "Bun"):
 * - one connection to one server, speaking RESP3: replies come as the protocol gives them
 *   (strings, integers, null, arrays; ZSCORE a double), the same shapes node-redis 6 gives;
 * - a failed command rejects with an Error (RedisError) whose message is Redis's error line, so
 *   `NOSCRIPT ...` and `NOPERM ...` read as on the other clients;
 * - commands issued together leave together (its auto-pipelining, on by default);
 * - no Redis Cluster and no Sentinel support at all: it follows no MOVED/ASK redirection and knows
 *   no slots. A Bun client pointed at a cluster node is refused on the first reply that says so.
 */

/** A connection handler as Bun calls it: with its own `this`, and `onclose` with the closing error. */
// biome-ignore lint/suspicious/noExplicitAny: whatever handler the app set is accepted and called as Bun would
type BunHandler = ((this: any, ...args: any[]) => void) | null | undefined;

/** The parts of Bun's `RedisClient` the store uses (`connect()` and the typed commands are the app's). */
export interface BunRedisClient {
  readonly connected: boolean;
  send(command: string, args: string[]): Promise<unknown>;
  onconnect: BunHandler;
  onclose: BunHandler;
  close(): void;
}

/**
 * Bun's client by its shape: `send(command, args)`, a boolean `connected`, and the `onconnect` /
 * `onclose` handler properties. ioredis has none of `connected`/`onconnect`, and node-redis has
 * `sendCommand` and `isOpen` instead (and is checked first).
 */
export function isBun(client: object): client is BunRedisClient {
  const c = client as Partial<BunRedisClient> & { sendCommand?: unknown };
  return typeof c.send === 'function' && typeof c.connected === 'boolean' && 'onconnect' in c && 'onclose' in c && typeof c.sendCommand !== 'function';
}

/**
 * Redis's answers that only a cluster node gives: a Bun client was pointed at Redis Cluster,
 * which it cannot follow. Told as a configuration error, not as a failed operation to retry.
 */
const CLUSTER_REPLY = /^(MOVED|ASK|CROSSSLOT|CLUSTERDOWN|TRYAGAIN) /;

const NO_CLUSTER =
  "Bun's RedisClient has no Redis Cluster support (it follows no MOVED/ASK and knows no slots), and SessionKit cannot run on a cluster through it: use an ioredis Cluster or a node-redis createCluster client for Redis Cluster";

function refusedIfCluster(error: unknown): unknown {
  if (error instanceof Error && CLUSTER_REPLY.test(error.message)) {
    return new SessionKitError('ERR_CONFIG', `${NO_CLUSTER} (Redis answered: ${error.message.split(' ')[0]})`, { cause: error });
  }
  return error;
}

class BunSingle implements SingleNodeClient {
  readonly library = 'bun' as const;
  readonly cluster = false;

  constructor(readonly raw: BunRedisClient) {}

  send(args: CommandArgs): Promise<unknown> {
    // Bun takes the arguments as strings (or buffers); the store's numbers go as their decimal form.
    return this.raw.send(String(args[0]), args.slice(1).map(String)).catch((error: unknown) => {
      throw refusedIfCluster(error);
    });
  }

  /**
   * Issued one after another without waiting: Bun's auto-pipelining writes them together (with
   * it turned off, each still gets its reply, one round trip each). Each settles on its own.
   */
  sendAll(commands: readonly CommandArgs[]): Promise<unknown[]> {
    return Promise.all(commands.map((args) => this.send(args).catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
  }

  masters(): RedisNode[] {
    return [this];
  }

  /**
   * Bun has one `onconnect` and one `onclose` per client, no event emitter: the store's relay is
   * chained in front of the handlers already set (which keep being called, with Bun's arguments),
   * and taken out again on detach. Bun calls `onconnect` on each (re)connection, and `onclose`
   * when the client closes for good; a connection it is reconnecting is not told as down.
   * A handler the app assigns after creating the store replaces the relay (docs/core.md, "Bun").
   */
  onConnectionChange(listener: (up: boolean) => void): () => void {
    const detachUp = chain(this.raw, 'onconnect', () => listener(true));
    const detachDown = chain(this.raw, 'onclose', () => listener(false));
    return () => {
      detachUp();
      detachDown();
    };
  }
}

type Handler = 'onconnect' | 'onclose';

/**
 * Sets `client[handler]` to one that calls `relay` and then the handler that was there. Detaching
 * puts the previous handler back if ours is still the one set; if another was chained on top
 * since, ours stays in the chain and only stops relaying.
 */
function chain(client: BunRedisClient, handler: Handler, relay: () => void): () => void {
  const previous = client[handler];
  let active = true;
  const ours = function (this: unknown, ...args: unknown[]) {
    if (active) relay();
    // The handler that was there, with Bun's `this` and arguments.
    if (typeof previous === 'function') previous.apply(this, args);
  };
  client[handler] = ours;
  return () => {
    active = false;
    if (client[handler] === ours) client[handler] = previous;
  };
}

export function fromBun(client: BunRedisClient): StoreClient {
  return new BunSingle(client);
}
