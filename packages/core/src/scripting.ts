import { createHash } from 'node:crypto';
import type { CommandArgs, RedisNode } from './client/types.js';

/**
 * A Lua script the store runs by its SHA1 (EVALSHA), loading it when a server lacks it.
 *
 * The first call through a client sends EVAL (one command, which also loads the script), then
 * EVALSHA. A Redis user refused one of the two still works, through the other: refused EVALSHA,
 * every call goes by EVAL (the whole script each time; a process warning says which rule to
 * grant); refused EVAL, the first call loads the script with SCRIPT LOAD and runs EVALSHA.
 */
export class LuaScript {
  readonly sha: string;
  /** Clients and nodes this process has loaded the script through. */
  private readonly sent = new WeakSet<RedisNode>();
  /** Clients and nodes whose Redis user is refused EVALSHA: every call goes by EVAL. */
  private readonly evalOnly = new WeakSet<RedisNode>();

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

  private eval(keys: readonly string[], args: readonly (string | number)[]): CommandArgs {
    return ['EVAL', this.source, keys.length, ...keys, ...args];
  }

  /**
   * Runs the script: EVAL the first time through this client, EVALSHA after that, and EVAL again
   * when the server answers NOSCRIPT (a restart, a failover, SCRIPT FLUSH), which reloads it.
   */
  async run(node: RedisNode, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.evalOnly.has(node)) return node.send(this.eval(keys, args), keys[0]).catch(rethrowExplained);
    if (!this.sent.has(node)) {
      this.sent.add(node);
      try {
        return await node.send(this.eval(keys, args), keys[0]);
      } catch (error) {
        if (!isRefused(error, 'eval')) throw explained(error);
        // Refused EVAL: load the script and run it by its SHA instead.
        const [, reply] = await node.sendAll([['SCRIPT', 'LOAD', this.source], this.evalsha(keys, args)]);
        if (reply instanceof Error) throw explained(reply);
        return reply;
      }
    }
    try {
      return await node.send(this.evalsha(keys, args), keys[0]);
    } catch (error) {
      if (isRefused(error, 'evalsha')) {
        this.refusedEvalsha(node);
        return node.send(this.eval(keys, args), keys[0]).catch(rethrowExplained);
      }
      if (!isNoScript(error)) throw explained(error);
      return node.send(this.eval(keys, args), keys[0]).catch(rethrowExplained);
    }
  }

  /** From now on EVAL only, through this client; said once per process, as a warning. */
  private refusedEvalsha(node: RedisNode): void {
    this.evalOnly.add(node);
    if (warnedEvalsha) return;
    warnedEvalsha = true;
    process.emitWarning(
      'Redis refuses EVALSHA to SessionKit\'s user: every script call now sends the whole script by EVAL. Grant +evalsha (docs/operations.md, "ACL user")',
      { type: 'SessionKitWarning', code: 'SESSIONKIT_NO_EVALSHA' },
    );
  }

  /** Runs the script once per entry, in one batch on one node; each result is a reply or an Error. */
  async runAll(node: RedisNode, calls: readonly { keys: readonly string[]; args: readonly (string | number)[] }[]): Promise<unknown[]> {
    if (this.evalOnly.has(node)) return (await node.sendAll(calls.map(({ keys, args }) => this.eval(keys, args)))).map(explained);
    const commands = calls.map(({ keys, args }) => this.evalsha(keys, args));
    // First time through this node: the script goes ahead of the batch, in the same write.
    const load = !this.sent.has(node);
    if (load) this.sent.add(node);
    const replies = (await node.sendAll(load ? [['SCRIPT', 'LOAD', this.source], ...commands] : commands)).map(explained);
    if (load) replies.shift();
    const refused = replies.some((reply) => isRefused(reply, 'evalsha'));
    if (refused) this.refusedEvalsha(node);
    if (!refused && !replies.some(isNoScript)) return replies;
    // The server lost its scripts (or refuses EVALSHA): send again, by EVAL, what was refused.
    const again = replies.map((reply, i) => (isNoScript(reply) || isRefused(reply, 'evalsha') ? i : -1)).filter((i) => i >= 0);
    const retried = (await node.sendAll(again.map((i) => this.eval(calls[i]!.keys, calls[i]!.args)))).map(explained);
    again.forEach((at, n) => {
      replies[at] = retried[n];
    });
    return replies;
  }
}

let warnedEvalsha = false;

/** Redis's ACL refusal of the scripting command itself (not of a command inside the script). */
function isRefused(error: unknown, command: 'eval' | 'evalsha'): boolean {
  return error instanceof Error && error.message.startsWith('NOPERM') && error.message.toLowerCase().includes(`'${command}'`);
}

function rethrowExplained(error: unknown): never {
  throw explained(error);
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
  ': SessionKit runs its Lua scripts with EVAL and EVALSHA (and SCRIPT LOAD ahead of a batch), so its Redis user needs ' +
  '+evalsha +eval +script|load besides the commands the scripts run (docs/operations.md, "ACL user")';

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
