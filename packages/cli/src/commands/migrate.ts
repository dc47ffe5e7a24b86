import { encodeUserId, isHandle, SessionKitError } from '@sessionkit/core';
import { checkedOwner, ownerAt } from '@sessionkit/core/toolkit';
import { classify, type KeyInfo } from '../classify.js';
import type { Context, Result } from '../context.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace } from '../scan.js';

export interface MigrateOptions {
  dryRun: boolean;
  rate: number;
  /** Dotted path to the owner in the session object, e.g. `passport.user`; default core's `defaultOwner`, as the stores. */
  userField?: string;
  progress: boolean;
  /**
   * Only index connect-redis sessions under their plain id, values and keys untouched (a rollback
   * to connect-redis stays possible; for an app with `hashIds: false`). Otherwise every session
   * still under its plain id moves to its hashed key.
   */
  indexOnly?: boolean;
}

/** `a.b.c` → ['a', 'b', 'c'], refusing the keys a parser must never follow. */
export function parseUserField(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) {
    throw new UsageError(`--user-field: expected a dotted path such as "passport.user", got ${JSON.stringify(path)}`);
  }
  return parts;
}

/** How many of each reason, in the order first met; the first `limit` reasons only. */
class Reasons {
  private readonly counts = new Map<string, number>();
  constructor(private readonly limit = 20) {}
  add(reason: string): void {
    const count = this.counts.get(reason);
    if (count !== undefined) this.counts.set(reason, count + 1);
    else if (this.counts.size < this.limit) this.counts.set(reason, 1);
  }
  get first(): string | undefined {
    return this.counts.keys().next().value;
  }
  list(): { reason: string; count: number }[] {
    return [...this.counts].map(([reason, count]) => ({ reason, count }));
  }
}

/**
 * A session whose owner the store would refuse (ERR_INVALID_USER_ID: an id over the length limit,
 * not well-formed Unicode) can never be indexed, by this run or by a later one: it is skipped, and
 * counted under the reason. The reason is core's message, which names the rule, never the id.
 */
function unindexable(error: unknown): error is SessionKitError {
  return error instanceof SessionKitError && error.code === 'ERR_INVALID_USER_ID';
}

export async function migrate(ctx: Context, options: MigrateOptions): Promise<Result> {
  return options.indexOnly ? indexInPlace(ctx, options) : moveToHashedKeys(ctx, options);
}

/** A session under its plain id (`<prefix><id>`): connect-redis's, or SessionKit's before hashed ids. */
function underPlainId(info: KeyInfo): info is Extract<KeyInfo, { kind: 'session' }> {
  // A handle has a fixed shape (43 base64url characters); a session id of that very shape is taken for one and left.
  return info.kind === 'session' && !isHandle(info.id);
}

/**
 * Moves every session still under its plain id to its hashed key (and indexes it there), through
 * the store's `moveLegacySession`: the copy never overwrites a newer save under the hashed key
 * (`SET ... NX`), the plain-id key becomes a tombstone (a request that loaded it cannot write it
 * back), and a tombstone found there means the session was revoked meanwhile, so the copy goes too.
 */
async function moveToHashedKeys(ctx: Context, options: MigrateOptions): Promise<Result> {
  const path = options.userField === undefined ? undefined : parseUserField(options.userField);
  const tally = { found: 0, connectRedis: 0, anonymous: 0, moved: 0, revoked: 0, gone: 0, skipped: 0, failed: 0 };
  const skips = new Reasons();
  const failures = new Reasons();

  const scan = await scanKeyspace(
    ctx.connection,
    {
      rate: options.rate,
      signal: ctx.signal,
      progress: options.progress ? (total) => ctx.out.progress(options.dryRun ? 'migrate (dry run)' : 'migrate', total) : undefined,
    },
    async (node, keys) => {
      const plain = (await classify(node, keys, ctx.prefixes, { keepSession: true })).filter(underPlainId);
      await Promise.all(
        plain.map(async (session) => {
          tally.found++;
          // A record names its owner in its header (the store reads it); a connect-redis string is
          // moved under the owner found in its JSON, or as nobody's.
          let owner: string | null | undefined;
          try {
            if (session.format === 'legacy') {
              tally.connectRedis++;
              const found = path ? ownerAt(session.session ?? {}, path) : session.userId;
              owner = found === undefined ? null : checkedOwner(found)!;
              if (owner === null) tally.anonymous++;
            }
            if (options.dryRun) {
              tally.moved++;
              return;
            }
            const result = await ctx.store.moveLegacySession(session.id, owner);
            if (result === 'moved') tally.moved++;
            else if (result === 'revoked') tally.revoked++;
            else tally.gone++; // expired, destroyed or moved by a request meanwhile
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            if (unindexable(error)) {
              tally.skipped++;
              skips.add(reason);
            } else {
              tally.failed++;
              failures.add(reason);
            }
          }
        }),
      );
      if (tally.failed > 0 && tally.moved + tally.revoked + tally.gone === 0) {
        throw new Error(`migrate stopped: ${failures.first}`);
      }
    },
  );

  const data = {
    dryRun: options.dryRun,
    complete: scan.complete,
    userField: options.userField ?? null,
    plainIdSessions: tally.found,
    connectRedisSessions: tally.connectRedis,
    anonymous: tally.anonymous,
    [options.dryRun ? 'wouldMove' : 'moved']: tally.moved,
    // Left under their plain id: their owner cannot be indexed (skipped) or a command failed.
    kept: tally.skipped + tally.failed,
    revokedMeanwhile: tally.revoked,
    goneMeanwhile: tally.gone,
    skipped: tally.skipped,
    skippedReasons: skips.list(),
    failed: tally.failed,
    failures: failures.list(),
    scan: { keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 },
  };

  return {
    data,
    exitCode: !scan.complete ? 130 : tally.failed || tally.skipped ? 1 : 0,
    render(out: Output) {
      const { c } = out;
      const n = formatCount;
      if (!scan.complete) out.line(c.yellow('Interrupted. Run the same command again to finish: what is moved stays moved.'));
      out.line(
        `${options.dryRun ? c.bold('Dry run, nothing written. ') : ''}Found ${n(tally.found)} session${tally.found === 1 ? '' : 's'} under their plain id ` +
          `(${n(tally.connectRedis)} written by connect-redis, ${n(tally.anonymous)} of them anonymous): ` +
          `${options.dryRun ? 'would move' : 'moved'} ${c.bold(n(tally.moved))} to their hashed key, kept ${n(tally.skipped + tally.failed)}.`,
      );
      if (tally.revoked || tally.gone) {
        out.line(`Changed during the run: ${n(tally.revoked)} revoked (not moved), ${n(tally.gone)} expired, destroyed or moved by a request.`);
      }
      if (tally.skipped) {
        out.line(c.red(`Skipped ${n(tally.skipped)} that cannot be indexed (the stores refuse their owner too), kept under their plain id:`));
        for (const s of skips.list()) out.line(`  ${n(s.count)} × ${s.reason}`);
      }
      if (tally.failed) {
        out.line(c.red(`Failed: ${n(tally.failed)}. Errors:`));
        for (const f of failures.list()) out.line(`  ${n(f.count)} × ${f.reason}`);
      }
      out.note(`Walked ${n(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}

/** `--index-only`: connect-redis sessions join their owner's index under their plain id, values untouched. */
async function indexInPlace(ctx: Context, options: MigrateOptions): Promise<Result> {
  const path = options.userField === undefined ? undefined : parseUserField(options.userField);
  const tally = { found: 0, anonymous: 0, indexed: 0, already: 0, changed: 0, gone: 0, skipped: 0, failed: 0 };
  // By reason and count only: a session id is a credential (the cookie's value), and an owner id
  // is user data, so neither is printed.
  const skips = new Reasons();
  const failures = new Reasons();

  const scan = await scanKeyspace(
    ctx.connection,
    {
      rate: options.rate,
      signal: ctx.signal,
      progress: options.progress ? (total) => ctx.out.progress(options.dryRun ? 'migrate (dry run)' : 'migrate', total) : undefined,
    },
    async (node, keys) => {
      const legacy = (await classify(node, keys, ctx.prefixes, { keepSession: true })).filter(
        (info): info is Extract<KeyInfo, { kind: 'session' }> => info.kind === 'session' && info.format === 'legacy',
      );
      await Promise.all(
        legacy.map(async (session) => {
          tally.found++;
          const found = path ? ownerAt(session.session ?? {}, path) : session.userId;
          if (found === undefined) {
            tally.anonymous++;
            return;
          }
          let result: Awaited<ReturnType<typeof ctx.store.indexLegacySession>>;
          try {
            // The store's own check of the owner, so that a dry run skips what a real run would.
            const owner = checkedOwner(found)!;
            if (options.dryRun) {
              // Read-only: is the id already in its owner's index? A real run would say 'already' then.
              const score = await ctx.connection.client.zscore(ctx.store.keys.index(encodeUserId(owner)), session.id);
              result = score === null ? 'indexed' : 'already';
            } else {
              result = await ctx.store.indexLegacySession(session.id, owner);
            }
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            if (unindexable(error)) {
              tally.skipped++;
              skips.add(reason);
            } else {
              tally.failed++;
              failures.add(reason);
            }
            return;
          }
          if (result === 'indexed') tally.indexed++;
          else if (result === 'already') tally.already++;
          else if (result === 'not-legacy') tally.changed++;
          else tally.gone++;
        }),
      );
      // Failures and no success yet: a refused command or a missing feature. Stop rather than grind
      // on. Skipped sessions are neither: their owner is what is wrong, and the rest can be indexed.
      if (tally.failed > 0 && tally.indexed + tally.already + tally.changed + tally.gone === 0) {
        throw new Error(`migrate stopped: ${failures.first}`);
      }
    },
  );

  const data = {
    dryRun: options.dryRun,
    complete: scan.complete,
    userField: options.userField ?? null,
    connectRedisSessions: tally.found,
    anonymous: tally.anonymous,
    [options.dryRun ? 'wouldIndex' : 'indexed']: tally.indexed,
    alreadyIndexed: tally.already,
    rewrittenMeanwhile: tally.changed,
    goneMeanwhile: tally.gone,
    skipped: tally.skipped,
    skippedReasons: skips.list(),
    failed: tally.failed,
    failures: failures.list(),
    scan: { keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 },
  };

  return {
    data,
    exitCode: !scan.complete ? 130 : tally.failed || tally.skipped ? 1 : 0,
    render(out: Output) {
      const { c } = out;
      const n = formatCount;
      const verb = options.dryRun ? 'would index' : 'indexed';
      if (!scan.complete) out.line(c.yellow('Interrupted. Run the same command again to finish: what is done stays done.'));
      out.line(
        `${options.dryRun ? c.bold('Dry run, nothing written. ') : ''}Found ${n(tally.found)} connect-redis session${tally.found === 1 ? '' : 's'}: ` +
          `${verb} ${c.bold(n(tally.indexed))}, already indexed ${n(tally.already)}, anonymous ${n(tally.anonymous)} (no owner, nothing to index).`,
      );
      if (tally.changed || tally.gone) {
        out.line(`Changed during the run: ${n(tally.changed)} rewritten by SessionKit (indexed by that write), ${n(tally.gone)} expired or destroyed.`);
      }
      if (tally.skipped) {
        out.line(c.red(`Skipped ${n(tally.skipped)} that cannot be indexed (the stores refuse their owner too):`));
        for (const s of skips.list()) out.line(`  ${n(s.count)} × ${s.reason}`);
      }
      if (tally.failed) {
        out.line(c.red(`Failed: ${n(tally.failed)}. Errors:`));
        for (const f of failures.list()) out.line(`  ${n(f.count)} × ${f.reason}`);
      }
      out.note(`Walked ${n(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}
