import { encodeUserId } from '@sessionkit/core';
import { classify, type KeyInfo } from '../classify.js';
import type { Context, Result } from '../context.js';
import { ownerAt } from '../owner.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace } from '../scan.js';

export interface MigrateOptions {
  dryRun: boolean;
  rate: number;
  /** Dotted path to the owner in the session object, e.g. `passport.user`; default as the stores. */
  userField?: string;
  progress: boolean;
}

/** `a.b.c` → ['a', 'b', 'c'], refusing the keys a parser must never follow. */
export function parseUserField(path: string): string[] {
  const parts = path.split('.');
  if (parts.some((part) => part === '' || part === '__proto__' || part === 'constructor' || part === 'prototype')) {
    throw new UsageError(`--user-field: expected a dotted path such as "passport.user", got ${JSON.stringify(path)}`);
  }
  return parts;
}

export async function migrate(ctx: Context, options: MigrateOptions): Promise<Result> {
  const path = options.userField === undefined ? undefined : parseUserField(options.userField);
  const tally = { found: 0, anonymous: 0, indexed: 0, already: 0, changed: 0, gone: 0, failed: 0 };
  const failures: { id: string; error: string }[] = [];

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
          const owner = path ? ownerAt(session.session ?? {}, path) : session.userId;
          if (owner === undefined) {
            tally.anonymous++;
            return;
          }
          let result: Awaited<ReturnType<typeof ctx.store.indexLegacySession>>;
          try {
            if (options.dryRun) {
              // Read-only: is the id already in its owner's index? A real run would say 'already' then.
              const score = await ctx.connection.client.zscore(ctx.store.keys.index(encodeUserId(owner)), session.id);
              result = score === null ? 'indexed' : 'already';
            } else {
              result = await ctx.store.indexLegacySession(session.id, owner);
            }
          } catch (error) {
            tally.failed++;
            if (failures.length < 20) failures.push({ id: session.id, error: error instanceof Error ? error.message : String(error) });
            return;
          }
          if (result === 'indexed') tally.indexed++;
          else if (result === 'already') tally.already++;
          else if (result === 'not-legacy') tally.changed++;
          else tally.gone++;
        }),
      );
      // Failures and no success yet: a refused command or a missing feature. Stop rather than grind on.
      if (tally.failed > 0 && tally.indexed + tally.already + tally.changed + tally.gone === 0) {
        throw new Error(`migrate stopped: ${failures[0]!.error}`);
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
    failed: tally.failed,
    failures,
    scan: { keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 },
  };

  return {
    data,
    exitCode: !scan.complete ? 130 : tally.failed ? 1 : 0,
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
      if (tally.failed) {
        out.line(c.red(`Failed: ${n(tally.failed)}. First errors:`));
        for (const f of failures) out.line(`  ${f.id}: ${f.error}`);
      }
      out.note(`Walked ${n(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}
