import { createHash } from 'node:crypto';
import type { CommandArgs, RedisNode } from './client/types.js';

/**
 * A Lua script the store runs by its SHA1 (EVALSHA), loading it when a server lacks it.
 *
 * Even the first call through a client runs EVALSHA, with SCRIPT LOAD sent just ahead of it in
 * the same round trip: a first call by EVAL would succeed for a Redis user refused EVALSHA, and
 * every later call would fail. This way a missing rule fails the first call.
 */
export class LuaScript {
  readonly sha: string;
  /** Clients and nodes this process has loaded the script through (SCRIPT LOAD ahead of the first call or batch). */
  private readonly sent = new WeakSet<RedisNode>();

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** EVALSHA words for these keys and arguments. */
  evalsha(keys: readonly string[], args: readonly (string | number)[]): CommandArgs {
    return ['EVALSHA', this.sha, keys.length, ...keys, ...args];
  }

  /**
   * Runs the script by EVALSHA. The first time through this client, SCRIPT LOAD goes just ahead
   * of it, in one batch (one write; on a cluster, to the node of EVALSHA's key where the client
   * routes a batch as one: ioredis).
   * When the server answers NOSCRIPT (the load reached another node, a restart, a failover,
   * SCRIPT FLUSH), EVAL runs the script and loads it.
   */
  async run(node: RedisNode, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      if (this.sent.has(node)) return await node.send(this.evalsha(keys, args), keys[0]);
      this.sent.add(node);
      // The load's own reply does not matter: EVALSHA's says whether the script ran.
      const [, reply] = await node.sendAll([['SCRIPT', 'LOAD', this.source], this.evalsha(keys, args)]);
      if (reply instanceof Error) throw reply;
      return reply;
    } catch (error) {
      if (!isNoScript(error)) throw explained(error);
      return node.send(['EVAL', this.source, keys.length, ...keys, ...args], keys[0]).catch((again: unknown) => {
        throw explained(again);
      });
    }
  }

  /** Runs the script once per entry, in one batch on one node; each result is a reply or an Error. */
  async runAll(node: RedisNode, calls: readonly { keys: readonly string[]; args: readonly (string | number)[] }[]): Promise<unknown[]> {
    const commands = calls.map(({ keys, args }) => this.evalsha(keys, args));
    // First time through this node: the script goes ahead of the batch, in the same write.
    const load = !this.sent.has(node);
    if (load) this.sent.add(node);
    const replies = (await node.sendAll(load ? [['SCRIPT', 'LOAD', this.source], ...commands] : commands)).map(explained);
    if (load) replies.shift();
    if (!replies.some(isNoScript)) return replies;
    // The server lost its scripts: load this one, then send again what NOSCRIPT refused.
    await node.send(['SCRIPT', 'LOAD', this.source], calls[0]?.keys[0]);
    const again = replies.map((reply, i) => (isNoScript(reply) ? i : -1)).filter((i) => i >= 0);
    const retried = (await node.sendAll(again.map((i) => commands[i]!))).map(explained);
    again.forEach((at, n) => {
      replies[at] = retried[n];
    });
    return replies;
  }
}

/** The commands a Redis user needs to run the store's scripts at all (docs/operations.md, "ACL user"). */
const SCRIPT_COMMANDS = /^NOPERM .*'(evalsha|eval|script\|load)'/i;

/**
 * Redis's refusal of a scripting command itself says which command, but not that the store needs
 * all three: that is added to the client's error (in place, so the client's error, which the
 * store's RedisOperationError strips of its command arguments, stays the cause). Any other value
 * is returned as is.
 */
function explained<T>(reply: T): T {
  if (reply instanceof Error && SCRIPT_COMMANDS.test(reply.message) && !reply.message.includes(ACL_HINT)) {
    reply.message += ACL_HINT;
  }
  return reply;
}

const ACL_HINT =
  ': SessionKit runs its Lua scripts with EVALSHA, with EVAL when the server lacks one and SCRIPT LOAD ahead of the first ' +
  'call, so its Redis user needs +evalsha +eval +script|load besides the commands the scripts run (docs/operations.md, "ACL user")';

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
