import { createHash } from 'node:crypto';
import type { CommandArgs, RedisNode } from './client/types.js';

/** A Lua script the store runs by its SHA1, loading it the first time a server lacks it. */
export class LuaScript {
  readonly sha: string;
  /** Clients this process has sent the whole script to: a first call sends EVAL (one round trip, and it loads the script). */
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
   * Runs the script: EVAL the first time through this client, EVALSHA after that, and EVAL again
   * when the server answers NOSCRIPT (a restart, a failover, SCRIPT FLUSH), which reloads it.
   */
  async run(node: RedisNode, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (!this.sent.has(node)) {
      this.sent.add(node);
      return node.send(['EVAL', this.source, keys.length, ...keys, ...args], keys[0]);
    }
    try {
      return await node.send(this.evalsha(keys, args), keys[0]);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return node.send(['EVAL', this.source, keys.length, ...keys, ...args], keys[0]);
    }
  }

  /** Runs the script once per entry, in one batch on one node; each result is a reply or an Error. */
  async runAll(node: RedisNode, calls: readonly { keys: readonly string[]; args: readonly (string | number)[] }[]): Promise<unknown[]> {
    const commands = calls.map(({ keys, args }) => this.evalsha(keys, args));
    // First time through this node: the script goes ahead of the batch, in the same write.
    const load = !this.sent.has(node);
    if (load) this.sent.add(node);
    const replies = await node.sendAll(load ? [['SCRIPT', 'LOAD', this.source], ...commands] : commands);
    if (load) replies.shift();
    if (!replies.some(isNoScript)) return replies;
    // The server lost its scripts: load this one, then send again what NOSCRIPT refused.
    await node.send(['SCRIPT', 'LOAD', this.source], calls[0]?.keys[0]);
    const again = replies.map((reply, i) => (isNoScript(reply) ? i : -1)).filter((i) => i >= 0);
    const retried = await node.sendAll(again.map((i) => commands[i]!));
    again.forEach((at, n) => {
      replies[at] = retried[n];
    });
    return replies;
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
