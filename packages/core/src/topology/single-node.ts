import type { SingleNodeClient } from '../client/types.js';
import { scripts } from '../scripts.js';
import { chunkReply, NO_EXPIRY_SCORE, type Reply, revokeFailed, TopologyBase, touchOutcome, writeArgs, writeOutcome } from './base.js';
import type { Topology, TouchOutcome, WriteOutcome, WriteRequest } from './types.js';

/** 'owner' replies in a row before giving up: each means another request changed the owner meanwhile. */
const OWNER_RETRIES = 5;

/**
 * A single node (or a Sentinel-managed primary): a session and its owner's index are written in
 * one script, atomically (the `*-indexed.lua` scripts). The scripts name every key they touch, the
 * previous owner's index too; the caller passes the owner it loaded, and in the rare case the
 * stored owner differs (another request changed it meanwhile) the script says so without writing
 * and the call is repeated with that owner's index named (withOwnerRetry).
 */
export class SingleNode extends TopologyBase<SingleNodeClient> implements Topology {
  write(request: WriteRequest): Promise<WriteOutcome> {
    const { maxSessionsPerUser, sessionLimitPolicy, revokedTtl } = this.ctx.options;
    const key = this.session(request.id);
    return this.withOwnerRetry(
      request.believedOwner ?? request.owner,
      (believed) => {
        const keys = [key];
        if (request.owner) keys.push(this.index(request.owner));
        if (believed && believed !== request.owner) keys.push(this.index(believed));
        const args = writeArgs(request, this.ctx.options);
        // The cap in one argument (set-indexed.lua reads it only when the id joins the index).
        args.push(believed, request.id, `${maxSessionsPerUser} ${sessionLimitPolicy === 'reject' ? 'reject' : 'evict'} ${revokedTtl} ${this.ctx.keys.prefix}`);
        return scripts.setIndexed.run(this.client, keys, args);
      },
      (reply) => writeOutcome(reply, request),
    );
  }

  touch(id: string, ttl: number, believedOwner: string | undefined): Promise<TouchOutcome> {
    const key = this.session(id);
    return this.withOwnerRetry(
      believedOwner ?? '',
      (believed) => scripts.touchIndexed.run(this.client, believed ? [key, this.index(believed)] : [key], [ttl, believed, id]),
      touchOutcome,
    );
  }

  destroy(id: string, believedOwner: string | undefined): Promise<boolean> {
    const key = this.session(id);
    return this.withOwnerRetry(
      believedOwner ?? '',
      (believed) => scripts.destroyIndexed.run(this.client, believed ? [key, this.index(believed)] : [key], [this.ctx.options.revokedTtl, believed, id]),
      (reply) => Number((reply as Reply)[0]) === 1,
    );
  }

  /**
   * Runs a script that names the index of the owner believed stored; while it answers
   * {'owner', stored} (nothing done: another request changed the owner), runs it again naming
   * that one, at most OWNER_RETRIES times. `settle` reads the final reply here rather than in
   * the caller, so that a call stays one async step, as without the retry.
   */
  private async withOwnerRetry<R>(believed: string, attempt: (believed: string) => Promise<unknown>, settle: (reply: Reply | string) => R): Promise<R> {
    for (let tries = 0; tries < OWNER_RETRIES; tries++) {
      const reply = (await attempt(believed)) as Reply | string;
      // A string is a set or touch script's reply for a record written (see writeOutcome).
      if (typeof reply === 'string' || reply[0] !== 'owner') return settle(reply);
      believed = String(reply[1]);
    }
    throw new Error(`the session's owner changed ${OWNER_RETRIES} times while this call was retried`);
  }

  async revokeUserSession(owner: string, id: string): Promise<boolean> {
    const keys = [this.session(id), this.index(owner)];
    return Number(await scripts.revokeUserSession.run(this.client, keys, [owner, this.ctx.options.revokedTtl, id])) === 1;
  }

  /**
   * One round trip up to revokeChunkSize sessions; beyond, one more: a pipeline of chunk scripts.
   * A session whose revocation fails stays in the draining key (see revoke_listed in
   * src/lua/includes/revoke.lua); the others are revoked, then the call throws.
   */
  async revokeAll(owner: string, except: string[], setAside: (key: string) => void): Promise<number> {
    const { revokedTtl, revokeChunkSize } = this.ctx.options;
    const prefix = this.ctx.keys.prefix;
    let { revoked, remaining, failed, failure, draining } = await this.startRevokeAll(owner, except, setAside, revokeChunkSize);
    // Failed ids stay at the head of the draining key: once any failed, this call stops after its batch.
    while (remaining > 0 && failed === 0) {
      const chunks = Array.from({ length: Math.ceil(remaining / revokeChunkSize) }, () => ({
        keys: [draining],
        args: [owner, revokedTtl, prefix, revokeChunkSize],
      }));
      for (const reply of await scripts.revokeChunk.runAll(this.client, chunks)) {
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
    const keys = [this.session(id), this.index(owner)];
    return String(await scripts.indexLegacy.run(this.client, keys, [id, NO_EXPIRY_SCORE])) as 'indexed';
  }
}
