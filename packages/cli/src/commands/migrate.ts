import { encodeUserId, isHandle, SessionKitError } from '@sessionkit/core';
import { checkedOwner, ownerAt } from '@sessionkit/core/toolkit';
import { classify, type KeyInfo } from '../classify.js';
import type { Context, Result } from '../context.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace, type ScanSummary } from '../scan.js';

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

type SessionInfo = Extract<KeyInfo, { kind: 'session' }>;

/**
 * Sessions left as they are, by reason and count only: a session id is a credential (the cookie's
 * value), and an owner id is user data, so neither is printed.
 */
class Problems {
  skipped = 0;
  failed = 0;
  readonly skips = new Reasons();
  readonly failures = new Reasons();

  add(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    if (unindexable(error)) {
      this.skipped++;
      this.skips.add(reason);
    } else {
      this.failed++;
      this.failures.add(reason);
    }
  }

  fields() {
    return { skipped: this.skipped, skippedReasons: this.skips.list(), failed: this.failed, failures: this.failures.list() };
  }

  render(out: Output, skippedLine: string): void {
    const n = formatCount;
    if (this.skipped) {
      out.line(out.c.red(`Skipped ${n(this.skipped)} ${skippedLine}:`));
      for (const s of this.skips.list()) out.line(`  ${n(s.count)} × ${s.reason}`);
    }
    if (this.failed) {
      out.line(out.c.red(`Failed: ${n(this.failed)}. Errors:`));
      for (const f of this.failures.list()) out.line(`  ${n(f.count)} × ${f.reason}`);
    }
  }
}

/**
 * Walks the keyspace (paced by `--rate`, with progress) and runs `each` on every session `wanted`
 * keeps, a batch at a time; what `each` throws is counted in `problems`. When a batch ends with
 * failures and nothing done yet (`done()` is 0), the run stops: a refused command or a missing
 * feature, rather than the same error for every session. Skipped sessions are neither: their
 * owner is what is wrong, and the rest can go on.
 */
async function walkSessions(
  ctx: Context,
  options: MigrateOptions,
  wanted: (info: KeyInfo) => info is SessionInfo,
  each: (session: SessionInfo) => Promise<void>,
  done: () => number,
): Promise<{ scan: ScanSummary; problems: Problems }> {
  const problems = new Problems();
  const scan = await scanKeyspace(
    ctx.connection,
    {
      rate: options.rate,
      signal: ctx.signal,
      progress: options.progress ? (total) => ctx.out.progress(options.dryRun ? 'migrate (dry run)' : 'migrate', total) : undefined,
    },
    async (node, keys) => {
      const sessions = (await classify(node, keys, ctx.prefixes, { keepSession: true })).filter(wanted);
      await Promise.all(sessions.map((session) => each(session).catch((error: unknown) => problems.add(error))));
      if (problems.failed > 0 && done() === 0) throw new Error(`migrate stopped: ${problems.failures.first}`);
    },
  );
  return { scan, problems };
}

/**
 * The run's result: `data` with the problems and the walk's figures after it; exit 130 when
 * interrupted, 1 when a session was skipped or failed, else 0. `lines` prints the counts, then
 * come the problems (skipped ones as `skippedLine` says) and the walk.
 */
function summary(data: Record<string, unknown>, scan: ScanSummary, problems: Problems, skippedLine: string, lines: (out: Output) => void): Result {
  return {
    data: { ...data, ...problems.fields(), scan: { keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 } },
    exitCode: !scan.complete ? 130 : problems.failed || problems.skipped ? 1 : 0,
    render(out: Output) {
      lines(out);
      problems.render(out, skippedLine);
      out.note(`Walked ${formatCount(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}

/** A session under its plain id (`<prefix><id>`): connect-redis's, or SessionKit's before hashed ids. */
function underPlainId(info: KeyInfo): info is SessionInfo {
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
  const tally = { found: 0, connectRedis: 0, anonymous: 0, moved: 0, revoked: 0, gone: 0 };
  const { scan, problems } = await walkSessions(
    ctx,
    options,
    underPlainId,
    async (session) => {
      tally.found++;
      // A record names its owner in its header (the store reads it); a connect-redis string is
      // moved under the owner found in its JSON, or as nobody's.
      let owner: string | null | undefined;
      if (session.format === 'legacy') {
        tally.connectRedis++;
        const found = path ? ownerAt(session.session ?? {}, path) : session.userId;
        // The store's own check of the owner, so that a dry run skips what a real run would.
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
    },
    () => tally.moved + tally.revoked + tally.gone,
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
    kept: problems.skipped + problems.failed,
    revokedMeanwhile: tally.revoked,
    goneMeanwhile: tally.gone,
  };

  return summary(data, scan, problems, 'that cannot be indexed (the stores refuse their owner too), kept under their plain id', (out) => {
    const { c } = out;
    const n = formatCount;
    if (!scan.complete) out.line(c.yellow('Interrupted. Run the same command again to finish: what is moved stays moved.'));
    out.line(
      `${options.dryRun ? c.bold('Dry run, nothing written. ') : ''}Found ${n(tally.found)} session${tally.found === 1 ? '' : 's'} under their plain id ` +
        `(${n(tally.connectRedis)} written by connect-redis, ${n(tally.anonymous)} of them anonymous): ` +
        `${options.dryRun ? 'would move' : 'moved'} ${c.bold(n(tally.moved))} to their hashed key, kept ${n(problems.skipped + problems.failed)}.`,
    );
    if (tally.revoked || tally.gone) {
      out.line(`Changed during the run: ${n(tally.revoked)} revoked (not moved), ${n(tally.gone)} expired, destroyed or moved by a request.`);
    }
  });
}

/** A connect-redis session (a plain JSON string), wherever its key. */
function connectRedisSession(info: KeyInfo): info is SessionInfo {
  return info.kind === 'session' && info.format === 'legacy';
}

/** `--index-only`: connect-redis sessions join their owner's index under their plain id, values untouched. */
async function indexInPlace(ctx: Context, options: MigrateOptions): Promise<Result> {
  const path = options.userField === undefined ? undefined : parseUserField(options.userField);
  const tally = { found: 0, anonymous: 0, indexed: 0, already: 0, changed: 0, gone: 0 };
  const { scan, problems } = await walkSessions(
    ctx,
    options,
    connectRedisSession,
    async (session) => {
      tally.found++;
      const found = path ? ownerAt(session.session ?? {}, path) : session.userId;
      if (found === undefined) {
        tally.anonymous++;
        return;
      }
      // The store's own check of the owner, so that a dry run skips what a real run would.
      const owner = checkedOwner(found)!;
      let result: Awaited<ReturnType<typeof ctx.store.indexLegacySession>>;
      if (options.dryRun) {
        // Read-only: is the id already in its owner's index? A real run would say 'already' then.
        const score = await ctx.connection.client.zscore(ctx.store.keys.index(encodeUserId(owner)), session.id);
        result = score === null ? 'indexed' : 'already';
      } else {
        result = await ctx.store.indexLegacySession(session.id, owner);
      }
      if (result === 'indexed') tally.indexed++;
      else if (result === 'already') tally.already++;
      else if (result === 'not-legacy') tally.changed++;
      else tally.gone++;
    },
    () => tally.indexed + tally.already + tally.changed + tally.gone,
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
  };

  return summary(data, scan, problems, 'that cannot be indexed (the stores refuse their owner too)', (out) => {
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
  });
}
