import { groupByMaster } from '../client/index.js';
import type { ClusterClient } from '../client/types.js';
import { SessionLimitError } from '../errors.js';
import { scripts } from '../scripts.js';
import { NO_EXPIRY_SCORE, type Reply, revokeFailed, TopologyBase, touchOutcome, writeArgs, writeOutcome } from './base.js';
import type { Topology, TouchOutcome, WriteOutcome, WriteRequest } from './types.js';

/**
 * Redis Cluster: a session key and its owner's index live in different slots, so no script can
 * cover both. The session part runs first (the `*-session.lua` scripts), the index part after it
 * (see docs/data-model.md for the guarantee this gives); bulk work goes one pipeline per master,
 * masters in parallel.
 */
export class ClusterNodes extends TopologyBase<ClusterClient> implements Topology {
  async write(request: WriteRequest): Promise<WriteOutcome> {
    const { maxSessionsPerUser, sessionLimitPolicy } = this.ctx.options;
    const index = request.owner ? this.index(request.owner) : undefined;
    // Policy 'reject': reserve a place first, so the cap refuses before anything is written.
    const pending = index && request.ttl > 0 && maxSessionsPerUser > 0 && sessionLimitPolicy === 'reject' ? this.ctx.keys.pending(request.owner) : undefined;
    if (pending && !Number(await scripts.indexReserve.run(this.client, [index!, pending], [request.id, request.ttl, maxSessionsPerUser]))) {
      throw new SessionLimitError(maxSessionsPerUser);
    }
    let reply: Reply;
    try {
      reply = (await scripts.setSession.run(this.client, [this.session(request.id)], writeArgs(request, this.ctx.options))) as Reply;
    } catch (error) {
      if (pending) await scripts.indexRemove.run(this.client, [pending], [request.id]).catch(() => undefined);
      throw error;
    }
    const outcome = writeOutcome(reply, request);
    if (outcome.status === 'revoked' || outcome.status === 'conflict') {
      if (pending) await scripts.indexRemove.run(this.client, [pending], [request.id]);
      return outcome;
    }
    outcome.evicted = await this.settleIndex(request, String(reply[3] ?? ''), outcome.status, outcome.expiresAt, index, pending);
    return outcome;
  }

  /**
   * The index side of a write. The entry is added only once the session exists: an entry whose
   * session is not written yet would be dropped as stale by a concurrent listing, or skipped by a
   * concurrent logout-everywhere, and the session would then live on outside its index. Returns
   * the ids the cap evicted (now revoked).
   */
  private async settleIndex(
    request: WriteRequest,
    storedOwner: string,
    status: string,
    expiresAt: number,
    index: string | undefined,
    pending: string | undefined,
  ): Promise<string[]> {
    const { maxSessionsPerUser, sessionLimitPolicy } = this.ctx.options;
    const work: Promise<unknown>[] = [];
    let evicted: string[] = [];
    if (storedOwner && storedOwner !== request.owner) {
      work.push(scripts.indexRemove.run(this.client, [this.index(storedOwner)], [request.id]));
    }
    if (index && status === 'ok') {
      // 'reject' already counted this id when it reserved its place; 'evict-oldest' applies the cap now.
      const max = sessionLimitPolicy === 'reject' ? 0 : maxSessionsPerUser;
      const keys = pending ? [index, pending] : [index];
      work.push(
        scripts.indexAdd.run(this.client, keys, [request.id, request.ttl, max, 'evict', expiresAt]).then((reply) => {
          evicted = (reply as string[]).slice(1).map(String);
        }),
      );
    } else if (index) {
      work.push(scripts.indexRemove.run(this.client, [index], [request.id]));
      if (pending) work.push(scripts.indexRemove.run(this.client, [pending], [request.id]));
    }
    await Promise.all(work);
    if (evicted.length) await this.revokeIds(request.owner, evicted, true);
    return evicted;
  }

  async touch(id: string, ttl: number): Promise<TouchOutcome> {
    const reply = (await scripts.touchSession.run(this.client, [this.session(id)], [ttl])) as Reply;
    const outcome = touchOutcome(reply);
    const owner = String(reply[2] ?? '');
    if (owner) {
      const index = this.index(owner);
      if (outcome.status === 'ok') await scripts.indexAdd.run(this.client, [index], [id, ttl, 0, '', outcome.expiresAt]);
      else if (outcome.status === 'expired') await scripts.indexRemove.run(this.client, [index], [id]);
    }
    return outcome;
  }

  async destroy(id: string): Promise<boolean> {
    const reply = (await scripts.destroySession.run(this.client, [this.session(id)], [this.ctx.options.revokedTtl])) as Reply;
    const owner = String(reply[1] ?? '');
    if (owner) await scripts.indexRemove.run(this.client, [this.index(owner)], [id]);
    return Number(reply[0]) === 1;
  }

  async revokeUserSession(owner: string, id: string): Promise<boolean> {
    const index = this.index(owner);
    // Membership first: a connect-redis string carries no owner, and only its index entry says whose it is.
    const listed = (await this.client.send(['ZSCORE', index, id], index)) !== null;
    const [revoked] = await Promise.all([
      scripts.revokeOne.run(this.client, [this.session(id)], [owner, this.ctx.options.revokedTtl, listed ? '1' : '0']),
      scripts.indexRemove.run(this.client, [index], [id]),
    ]);
    return Number(revoked) === 1;
  }

  async revokeAll(owner: string, except: string[], setAside: (key: string) => void): Promise<number> {
    const { revokeChunkSize } = this.ctx.options;
    // The sessions sit in other slots: the start script revokes none (chunk 0), the loop below does.
    let { revoked, remaining, draining } = await this.startRevokeAll(owner, except, setAside, 0);
    while (remaining > 0) {
      // ZRANGE, revoke, then ZREM only the ids revoked: a crash in between, or an id whose
      // revocation fails, leaves members to redo, never a live session unindexed.
      const ids = ((await this.client.send(['ZRANGE', draining, 0, revokeChunkSize - 1], draining)) as string[]).map(String);
      if (ids.length === 0) break;
      const results = await this.revokeEach(owner, ids, true);
      const done: string[] = [];
      const failures: Error[] = [];
      results.forEach((result, i) => {
        if (typeof result === 'number') {
          revoked += result;
          done.push(ids[i]!);
        } else failures.push(result);
      });
      if (done.length) await scripts.indexRemove.run(this.client, [draining], done);
      remaining = Number(await this.client.send(['ZCARD', draining], draining));
      if (failures.length) throw revokeFailed(revoked, failures.length, failures[0]!.message, remaining);
    }
    return revoked;
  }

  /** Revokes sessions of one user (see revokeEach); throws the first failure. */
  private async revokeIds(owner: string, ids: string[], listed: boolean): Promise<number> {
    let revoked = 0;
    for (const result of await this.revokeEach(owner, ids, listed)) {
      if (result instanceof Error) throw result;
      revoked += Number(result);
    }
    return revoked;
  }

  /**
   * Revokes sessions of one user, one pipeline per master, masters in parallel; per id, 1 or 0
   * (see revoke-one.lua) or the Error its revocation met. A key that moved mid-way (MOVED/ASK
   * after a failover or reshard) is retried through the cluster client, which follows the
   * redirection; so is any other failure, once.
   */
  private async revokeEach(owner: string, ids: string[], listed: boolean): Promise<(number | Error)[]> {
    const args = [owner, this.ctx.options.revokedTtl, listed ? '1' : '0'];
    const viaClient = (key: string) =>
      scripts.revokeOne.run(this.client, [key], args).then(Number, (error: unknown) => (error instanceof Error ? error : new Error(String(error))));
    const keys = ids.map((id) => this.session(id));
    const results = new Map<string, number | Error>();
    await Promise.all(
      [...groupByMaster(this.client, keys)].map(async ([node, group]) => {
        const replies = node
          ? await scripts.revokeOne.runAll(
              node,
              group.map((key) => ({ keys: [key], args })),
            )
          : await Promise.all(group.map(viaClient));
        const settled = await Promise.all(replies.map((reply, i) => (reply instanceof Error ? viaClient(group[i]!) : Number(reply))));
        group.forEach((key, i) => {
          results.set(key, settled[i]!);
        });
      }),
    );
    return keys.map((key) => results.get(key)!);
  }

  async indexLegacy(id: string, owner: string): Promise<'indexed' | 'already' | 'not-legacy' | 'missing'> {
    const [kind, expiresAt] = (await scripts.legacyProbe.run(this.client, [this.session(id)], [])) as [string, number];
    if (kind !== 'legacy') return kind as 'not-legacy' | 'missing';
    const index = this.index(owner);
    const score = Number(expiresAt) < 0 ? NO_EXPIRY_SCORE : Number(expiresAt);
    const listed = (await this.client.send(['ZSCORE', index, id], index)) !== null;
    await scripts.indexAdd.run(this.client, [index], [id, NO_EXPIRY_SCORE, 0, '', score]);
    return listed ? 'already' : 'indexed';
  }
}
