import { errorMonitor } from 'node:events';
import type { RedisClientType, RedisClusterType, RedisSentinelType } from 'redis';
import { SessionKitError } from '../errors.js';
import { keySlot } from '../slot.js';
import type { ClusterClient, CommandArgs, RedisNode, SingleNodeClient, StoreClient } from './types.js';

/**
 * A node-redis client (the `redis` package, v5 or v6): `createClient` (single node),
 * `createCluster` or `createSentinel`, connected (`await client.connect()`).
 */
// biome-ignore lint/suspicious/noExplicitAny: a client of any modules, functions, scripts, protocol and type mapping is accepted
export type NodeRedisClient = RedisClientType<any, any, any, any, any> | RedisClusterType<any, any, any, any, any> | RedisSentinelType<any, any, any, any, any>;

/*
 * What this file uses of node-redis, written out structurally: the app's `redis` may be v5 or v6
 * (or both in one tree), whose classes are not assignable to each other, and nothing here may
 * need more than these members.
 */
// biome-ignore lint/suspicious/noExplicitAny: listeners of node-redis's events, whatever they are handed
type Listener = (...args: any[]) => void;
interface Emitter {
  on(event: string | symbol, listener: Listener): unknown;
  off(event: string | symbol, listener: Listener): unknown;
}
interface SingleLike extends Emitter {
  readonly isOpen: boolean;
  readonly isReady: boolean;
  sendCommand(args: string[], options?: object): Promise<unknown>;
}
interface MasterLike {
  address: string;
}
interface ClusterLike extends Emitter {
  readonly isOpen: boolean;
  readonly masters: MasterLike[];
  readonly slots: { master: MasterLike }[];
  nodeClient(node: MasterLike): Promise<SingleLike>;
  sendCommand(firstKey: string | undefined, isReadonly: boolean | undefined, args: string[], options?: object): Promise<unknown>;
}
interface SentinelLike extends Emitter {
  readonly isOpen: boolean;
  sendCommand(isReadonly: boolean | undefined, args: string[], options?: object): Promise<unknown>;
  getMasterNode(): unknown;
}

/**
 * Per command: replies as the protocol gives them (strings, numbers, null, arrays), whatever
 * `typeMapping` the app set on its client (Buffers, Maps) for its own commands.
 */
const COMMAND_OPTIONS = Object.freeze({ typeMapping: {} });

const words = (args: CommandArgs): string[] => args.map(String);

export function isNodeRedis(client: object): boolean {
  const c = client as Partial<SingleLike & ClusterLike & SentinelLike>;
  return typeof c.sendCommand === 'function' && typeof c.isOpen === 'boolean' && typeof (c as Emitter).on === 'function';
}

function isCluster(client: object): client is ClusterLike {
  const c = client as Partial<ClusterLike>;
  return typeof c.nodeClient === 'function' && 'masters' in c && 'slots' in c;
}

/** createClientPool: several connections behind one sendCommand, and no 'ready' of its own. */
function isPool(client: object): boolean {
  return typeof (client as { isReady?: unknown }).isReady !== 'boolean' && typeof (client as { execute?: unknown }).execute === 'function';
}

function isSentinel(client: object): client is SentinelLike {
  const c = client as Partial<SentinelLike> & { acquire?: unknown };
  return typeof c.getMasterNode === 'function' && typeof c.acquire === 'function';
}

/** Each command settles on its own: a reply, or the Error that command got. */
function settleEach(sends: Promise<unknown>[]): Promise<unknown[]> {
  return Promise.all(sends.map((send) => send.catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))));
}

/**
 * A single node (or one master of a cluster, or a Sentinel's primary). node-redis already writes
 * the commands issued before it next yields to the event loop in one socket write, so "together"
 * needs no pipeline object here: issue them all, then wait.
 */
class NodeRedisNode implements RedisNode {
  constructor(private readonly sendOne: (args: string[]) => Promise<unknown>) {}

  send(args: CommandArgs): Promise<unknown> {
    return this.sendOne(words(args));
  }

  sendAll(commands: readonly CommandArgs[]): Promise<unknown[]> {
    return settleEach(commands.map((args) => this.sendOne(words(args))));
  }
}

/**
 * Connection state as one boolean that changes: 'ready' is up; an error while not ready, a
 * reconnect attempt or 'end' is down. The error is watched through `errorMonitor`, which never
 * counts as handling it: an app without its own 'error' listener keeps node-redis's behaviour.
 */
function relayState(client: Emitter & { readonly isReady: boolean }, listener: (up: boolean) => void): () => void {
  let last: boolean | undefined;
  const tell = (up: boolean) => {
    if (up === last) return;
    last = up;
    listener(up);
  };
  const onReady = () => tell(true);
  const onDown = () => {
    if (!client.isReady) tell(false);
  };
  const onEnd = () => tell(false);
  client.on('ready', onReady);
  client.on(errorMonitor, onDown);
  client.on('reconnecting', onDown);
  client.on('end', onEnd);
  return () => {
    client.off('ready', onReady);
    client.off(errorMonitor, onDown);
    client.off('reconnecting', onDown);
    client.off('end', onEnd);
  };
}

class NodeRedisSingle extends NodeRedisNode implements SingleNodeClient {
  readonly library = 'node-redis' as const;
  readonly cluster = false;

  constructor(readonly raw: SingleLike) {
    super((args) => raw.sendCommand(args, COMMAND_OPTIONS));
  }

  masters(): RedisNode[] {
    return [this];
  }

  onConnectionChange(listener: (up: boolean) => void): () => void {
    // A pool's connections come and go on their own; it has no state of its own to tell.
    if (isPool(this.raw)) return () => {};
    return relayState(this.raw, listener);
  }
}

/**
 * A Sentinel-managed primary. node-redis's RedisSentinel follows the primary itself (it waits
 * for a failover to settle and retries on READONLY), and its per-node connection events are not
 * exposed; so only a change of primary is told, as up. A primary that is down shows as commands
 * that wait and then fail (bounded by the client's command timeout), never as a store that stays
 * "down" after the primary is back.
 */
class NodeRedisSentinel extends NodeRedisNode implements SingleNodeClient {
  readonly library = 'node-redis' as const;
  readonly cluster = false;

  constructor(readonly raw: SentinelLike) {
    super((args) => raw.sendCommand(false, args, COMMAND_OPTIONS));
  }

  masters(): RedisNode[] {
    return [this];
  }

  onConnectionChange(listener: (up: boolean) => void): () => void {
    const onChange = (event: { type?: string }) => {
      if (event?.type === 'MASTER_CHANGE') listener(true);
    };
    this.raw.on('topology-change', onChange);
    return () => this.raw.off('topology-change', onChange);
  }
}

class NodeRedisCluster implements ClusterClient {
  readonly library = 'node-redis' as const;
  readonly cluster = true;
  /** By address: node-redis rebuilds its node objects when it rediscovers the topology. */
  private readonly nodes = new Map<string, RedisNode>();

  constructor(readonly raw: ClusterLike) {}

  /** node-redis routes by the key given here and follows MOVED/ASK; no key: any master. */
  send(args: CommandArgs, key?: string): Promise<unknown> {
    return this.raw.sendCommand(key, false, words(args), COMMAND_OPTIONS);
  }

  /** Only for commands whose keys share a slot (the seam's contract), routed by the first key. */
  sendAll(commands: readonly CommandArgs[]): Promise<unknown[]> {
    return settleEach(commands.map((args) => this.raw.sendCommand(firstKeyOf(args), false, words(args), COMMAND_OPTIONS)));
  }

  masters(): RedisNode[] {
    return this.raw.masters.map((master) => this.node(master));
  }

  masterOf(key: string): RedisNode | undefined {
    const master = this.raw.slots[keySlot(key)]?.master;
    return master && this.node(master);
  }

  /** node-redis tells the cluster as a whole: 'connect' once the slot map is loaded, 'disconnect' when closed. */
  onConnectionChange(listener: (up: boolean) => void): () => void {
    const onUp = () => listener(true);
    const onDown = () => listener(false);
    this.raw.on('connect', onUp);
    this.raw.on('disconnect', onDown);
    return () => {
      this.raw.off('connect', onUp);
      this.raw.off('disconnect', onDown);
    };
  }

  private node(master: MasterLike): RedisNode {
    let node = this.nodes.get(master.address);
    if (!node) {
      const address = master.address;
      // Looked up again on every send: after a failover the address may name another node object.
      const client = () => {
        const current = this.raw.masters.find((m) => m.address === address) ?? master;
        return this.raw.nodeClient(current);
      };
      node = new NodeRedisNode(async (args) => (await client()).sendCommand(args, COMMAND_OPTIONS));
      this.nodes.set(address, node);
    }
    return node;
  }
}

/** The routing key of the commands the store sends: EVAL/EVALSHA name theirs after numkeys; key commands first; SCRIPT, TIME, SCAN none. */
function firstKeyOf(args: CommandArgs): string | undefined {
  const name = String(args[0]).toUpperCase();
  if (name === 'EVALSHA' || name === 'EVAL') return Number(args[2]) > 0 ? String(args[3]) : undefined;
  if (name === 'SCRIPT' || name === 'TIME' || name === 'SCAN') return undefined;
  return args.length > 1 ? String(args[1]) : undefined;
}

function keyPrefixOf(client: object): unknown {
  const c = client as { _keyPrefix?: unknown; options?: { keyPrefix?: unknown } };
  return c._keyPrefix ?? c.options?.keyPrefix;
}

export function fromNodeRedis(client: object): StoreClient {
  const kind = isCluster(client) ? 'createCluster' : isSentinel(client) ? 'createSentinel' : isPool(client) ? 'createClientPool' : 'createClient';
  if (!(client as { isOpen: boolean }).isOpen) {
    // A command on a client that was never connected fails with "The client is closed"; say so
    // now, where the fix is, rather than on the first request.
    throw new SessionKitError(
      'ERR_CONFIG',
      `the node-redis client (${kind}) is not connected: call client.connect() before creating the store (await it to start serving only once Redis is reachable)`,
    );
  }
  const keyPrefix = keyPrefixOf(client);
  if (keyPrefix !== undefined && keyPrefix !== null && String(keyPrefix) !== '') {
    // node-redis 6 prefixes the keys of its typed commands (not of sendCommand); the scripts
    // build keys themselves. One prefix, the store's, keeps every key where it is expected.
    throw new SessionKitError(
      'ERR_CONFIG',
      `the node-redis client has keyPrefix ${JSON.stringify(String(keyPrefix))}: SessionKit does not support client key prefixes; pass a client without keyPrefix and use the store's prefix and indexPrefix options instead`,
    );
  }
  if (isCluster(client)) return new NodeRedisCluster(client);
  if (isSentinel(client)) return new NodeRedisSentinel(client);
  return new NodeRedisSingle(client as SingleLike);
}
