import { scripts } from '../scripts.js';
import {
  chunkReply,
  NO_EXPIRY_SCORE,
  revokeAllKeys,
  revokeFailed,
  startReply,
  writeArgs,
  writeOutcome,
  type Topology,
  type TopologyContext,
  type TouchOutcome,
  type WriteOutcome,
  type WriteRequest,
} from './types.js';

type Reply = (string | number)[];

/** 'owner' replies in a row before giving up: each means another request changed the owner meanwhile. */
const OWNER_RETRIES = 5;

function ownerKeptChanging(): Error {
  return new Error(`the session's owner changed ${OWNER_RETRIES} times while this call was retried`);
}

/**
 * A single node (or a Sentinel-managed primary): a session and its owner's index are written in
 * one script, atomically. The scripts name every key they touch, the previous owner's index too;
 * the caller passes the owner it loaded, and in the rare case the stored owner differs (another
 * request changed it meanwhile) the script says so without writing and the call is repeated with
 * that owner's index named.
 */
export class SingleNode implements Topology {
  constructor(private readonly ctx: TopologyContext) {}

  private index(owner: string): string {
    return this.ctx.keys.index(owner);
  }

  async write(request: WriteRequest): Promise<WriteOutcome> {
    const key = this.ctx.keys.session(request.id);
    let believed = request.believedOwner ?? request.owner;
    for (let tries = 0; tries < OWNER_RETRIES; tries++) {
      const keys = [key];
      if (request.owner) keys.push(this.index(request.owner));
      if (believed && believed !== request.owner) keys.push(this.index(believed));
      const reply = (await scripts.set.run(this.ctx.client, keys, writeArgs(request, believed, this.ctx.options, this.ctx.keys.prefix, true))) as Reply;
      if (reply[0] !== 'owner') return writeOutcome(reply);
      believed = String(reply[1]);
    }
    throw ownerKeptChanging();
  }

  async touch(id: string, ttl: number, believedOwner: string | undefined): Promise<TouchOutcome> {
    let believed = believedOwner ?? '';
    for (let tries = 0; tries < OWNER_RETRIES; tries++) {
      const keys = [this.ctx.keys.session(id)];
      if (believed) keys.push(this.index(believed));
      const reply = (await scripts.touch.run(this.ctx.client, keys, [ttl, believed, '1', id])) as Reply;
      if (reply[0] === 'owner') {
        believed = String(reply[1]);
        continue;
      }
      return { status: reply[0] as TouchOutcome['status'], expiresAt: Number(reply[1] ?? 0), now: reply[3] === undefined ? undefined : Number(reply[3]) };
    }
    throw ownerKeptChanging();
  }

  async destroy(id: string, believedOwner: string | undefined): Promise<boolean> {
    let believed = believedOwner ?? '';
    for (let tries = 0; tries < OWNER_RETRIES; tries++) {
      const keys = [this.ctx.keys.session(id)];
      if (believed) keys.push(this.index(believed));
      const reply = (await scripts.destroy.run(this.ctx.client, keys, [this.ctx.options.revokedTtl, believed, '1', id])) as Reply;
      if (reply[0] === 'owner') {
        believed = String(reply[1]);
        continue;
      }
      return Number(reply[0]) === 1;
    }
    throw ownerKeptChanging();
  }

  async revokeUserSession(owner: string, id: string): Promise<boolean> {
    const keys = [this.ctx.keys.session(id), this.index(owner)];
    return Number(await scripts.revokeUserSession.run(this.ctx.client, keys, [owner, this.ctx.options.revokedTtl, id])) === 1;
  }

  /**
   * One round trip up to revokeChunkSize sessions; beyond, one more: a pipeline of chunk scripts.
   * A session whose revocation fails stays in the draining key (see revoke_listed in
   * src/lua/includes/revoke.lua); the others are revoked, then the call throws.
   */
  async revokeAll(owner: string, except: string[], setAside: (key: string) => void): Promise<number> {
    const { revokedTtl, revokeChunkSize } = this.ctx.options;
    const prefix = this.ctx.keys.prefix;
    const keys = revokeAllKeys(this.ctx.keys, owner);
    const draining = keys[1];
    const start = startReply(
      (await scripts.revokeAllStart.run(this.ctx.client, keys, [owner, revokedTtl, prefix, revokeChunkSize, ...except])) as Reply,
      keys,
      setAside,
    );
    let { revoked, remaining, failed, failure } = start;
    // Failed ids stay at the head of the draining key: once any failed, this call stops after its batch.
    while (remaining > 0 && failed === 0) {
      const chunks = Array.from({ length: Math.ceil(remaining / revokeChunkSize) }, () => ({
        keys: [draining],
        args: [owner, revokedTtl, prefix, revokeChunkSize],
      }));
      for (const reply of await scripts.revokeChunk.runAll(this.ctx.client, chunks)) {
        if (reply instanceof Error) throw reply;
        const chunk = chunkReply(reply as Reply);
        revoked += chunk.revoked;
        remaining = chunk.remaining;
        if (chunk.failed > 0) failure ||= chunk.failure;
        // A failed id stays first in line, so each later chunk of the batch tries it again: the
        // last chunk's count is what still fails.
        failed = chunk.failed;
      }
    }
    if (failed > 0) throw revokeFailed(revoked, failed, failure, remaining);
    return revoked;
  }

  async indexLegacy(id: string, owner: string): Promise<'indexed' | 'already' | 'not-legacy' | 'missing'> {
    const keys = [this.ctx.keys.session(id), this.index(owner)];
    return String(await scripts.indexLegacy.run(this.ctx.client, keys, [id, NO_EXPIRY_SCORE])) as 'indexed';
  }
}
