import type { Context, Result } from '../context.js';
import { UsageError } from '../errors.js';
import type { Output } from '../output.js';
import { unindexedLegacyNote, unindexedLegacySessions } from './stats.js';

/** The store's limit on id length (packages/core/src/keys.ts). */
const MAX_ID_LENGTH = 1024;

export interface RevokeOptions {
  all?: boolean;
  except?: string[];
}

/** Checked before connecting: a mistyped command costs no connection. */
export function checkRevokeArgs(sessionIds: string[], options: RevokeOptions): void {
  if (options.all && sessionIds.length) throw new UsageError('give session ids or --all, not both');
  if (!options.all && options.except?.length) throw new UsageError('--except goes with --all');
  if (!options.all && sessionIds.length === 0) throw new UsageError('name the sessions to revoke, or pass --all to sign the user out everywhere');
  // The store checks each id again; checking all of them first means a typo revokes nothing.
  for (const id of [...sessionIds, ...(options.except ?? [])]) {
    if (id.length > MAX_ID_LENGTH) throw new UsageError(`session id is ${id.length} characters, over the limit of ${MAX_ID_LENGTH}`);
    if (id.length === 0) throw new UsageError('a session id must not be empty');
  }
}

export async function revoke(ctx: Context, userId: string, sessionIds: string[], options: RevokeOptions): Promise<Result> {
  checkRevokeArgs(sessionIds, options);
  if (options.all) {
    const except = options.except ?? [];
    const revoked = await ctx.store.invalidateAllUserSessions(userId, { except });
    // Sessions connect-redis wrote are in no index before `sessionkit migrate`: the user stays
    // signed in through them, which the answer must say (a user the ACL refuses SCAN or GET
    // gets the revocation without the hint).
    const legacy = await unindexedLegacySessions(ctx, userId).catch(() => undefined);
    const note = legacy && legacy.owned > 0 ? unindexedLegacyNote(legacy, ctx.prefixes.prefix, userId) : undefined;
    return {
      data: { userId, all: true, revoked, kept: except, ...(note ? { unindexedConnectRedis: legacy } : {}) },
      render(out: Output) {
        const kept = except.length ? ` (kept ${except.length}: ${except.join(', ')})` : '';
        out.line(`Signed ${out.c.bold(userId)} out everywhere: ${out.c.bold(String(revoked))} session${revoked === 1 ? '' : 's'} revoked${kept}.`);
        if (note) out.line(out.c.yellow(`Not everywhere: ${note} Then revoke again.`));
      },
    };
  }

  const unique = [...new Set(sessionIds)];
  // One at a time would be as correct; in parallel a long list costs one round trip, not N.
  const results = await Promise.all(unique.map(async (id) => ({ id, revoked: await ctx.store.revokeUserSession(userId, id) })));
  const revoked = results.filter((r) => r.revoked).length;
  return {
    data: { userId, all: false, revoked, requested: unique.length, sessions: results },
    render(out: Output) {
      out.line(`Revoked ${out.c.bold(String(revoked))} of ${unique.length} session${unique.length === 1 ? '' : 's'} of ${out.c.bold(userId)}.`);
      const missed = results.filter((r) => !r.revoked);
      if (missed.length) {
        out.line(out.c.yellow(`Not revoked (no live session with that id belongs to ${userId}): ${missed.map((r) => r.id).join(', ')}`));
      }
    },
  };
}
