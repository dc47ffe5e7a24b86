import type { Redis } from 'ioredis';
import { CorruptSessionError, inspectStoredValue, KeyRing } from '@sessionkit/core';
import { classify, type KeyInfo } from '../classify.js';
import type { Context, Result } from '../context.js';
import { UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace } from '../scan.js';

export interface ReencryptOptions {
  dryRun: boolean;
  rate: number;
  progress: boolean;
  /** A cursor an interrupted run printed: go on from there. */
  resume?: string;
}

/**
 * The key ring, from `--keys` or else SESSION_ENCRYPTION_KEYS: comma-separated base64 32-byte
 * keys, the first one current. The keys are never printed: core's checks name an entry by its
 * place, never by its value.
 */
export function keyRingFrom(flag: string | undefined, env: NodeJS.ProcessEnv): KeyRing {
  const [source, text] = flag !== undefined ? ['--keys', flag] : ['SESSION_ENCRYPTION_KEYS', env.SESSION_ENCRYPTION_KEYS];
  const keys = (text ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) {
    throw new UsageError(
      'reencrypt needs the key ring: SESSION_ENCRYPTION_KEYS (or --keys), comma-separated base64 keys, the current one first, as the app has it',
    );
  }
  return new KeyRing(keys, source);
}

/**
 * Replaces the value only if it is still, byte for byte, the one read: a save, a touch, a
 * revocation (tombstone) or an expiry since then wins, and this rewrite is dropped (a later run
 * finds the session again if it still needs one). KEEPTTL: the expiry is the session's own.
 */
const REPLACE_IF_UNCHANGED = `
if redis.call('TYPE', KEYS[1]).ok ~= 'string' or redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`;

/**
 * `next` at `key` if it still holds `expected`, byte for byte (see REPLACE_IF_UNCHANGED): true
 * when written. False too for a slot that moved while the run walked (cluster): a later run.
 */
export async function replaceIfUnchanged(node: Redis, key: string, expected: string, next: string): Promise<boolean> {
  try {
    return Number(await node.eval(REPLACE_IF_UNCHANGED, 1, key, expected, next)) === 1;
  } catch (error) {
    if (/^(MOVED|ASK) /.test((error as Error).message)) return false;
    throw error;
  }
}

/** A key that is no longer a string is no session to rewrite; any other failure fails the run. */
function wrongTypeAsNull(error: Error): null {
  if (error.message.startsWith('WRONGTYPE')) return null;
  throw error;
}

/** Tries per session: a rewrite that loses to a concurrent write reads the session again. */
const ATTEMPTS = 3;

/** How many of each reason, the first 20 reasons only (never a session id or any data). */
function tallyReason(reasons: Map<string, number>, reason: string): void {
  const count = reasons.get(reason);
  if (count !== undefined) reasons.set(reason, count + 1);
  else if (reasons.size < 20) reasons.set(reason, 1);
}

export async function reencrypt(ctx: Context, options: ReencryptOptions): Promise<Result> {
  const ring = ctx.store.options.encryptionKeys!;
  const tally = { records: 0, current: 0, rewritten: 0, changed: 0, unreadable: 0 };
  /** Records found, by what they were under (key id, 'clear', or both when meta and data differ). */
  const before = new Map<string, number>();
  const unreadable = new Map<string, number>();

  const scan = await scanKeyspace(
    ctx.connection,
    {
      rate: options.rate,
      signal: ctx.signal,
      resume: options.resume,
      progress: options.progress ? (total) => ctx.out.progress(options.dryRun ? 'reencrypt (dry run)' : 'reencrypt', total) : undefined,
    },
    async (node, keys) => {
      // Records only: a tombstone is a revoked session (never revived), a connect-redis string is
      // rewritten as a record, encrypted, by its next save, and a missing key has nothing to do.
      const records = (await classify(node, keys, ctx.prefixes, { keepValue: true })).filter(
        (info): info is Extract<KeyInfo, { kind: 'session' }> => info.kind === 'session' && info.format === 'record',
      );
      await Promise.all(
        records.map(async (session) => {
          tally.records++;
          const label = session.encryption ?? 'clear';
          before.set(label, (before.get(label) ?? 0) + 1);
          // A save or touch that lands between the read and the rewrite wins; the session is then
          // read again and tried once more (a busy session is touched often), up to ATTEMPTS.
          let value = session.value!;
          for (let attempt = 1; ; attempt++) {
            let next: string | null;
            try {
              next = ctx.store.resealed(session.id, value);
            } catch (error) {
              if (!(error instanceof CorruptSessionError)) throw error;
              tally.unreadable++;
              tallyReason(unreadable, error.message);
              return;
            }
            if (next === null) {
              if (attempt === 1) tally.current++;
              else tally.changed++; // rewritten meanwhile by a save, under the current key
              return;
            }
            if (options.dryRun) {
              tally.rewritten++;
              return;
            }
            if (await replaceIfUnchanged(node, session.key, value, next)) {
              tally.rewritten++;
              return;
            }
            const now = attempt < ATTEMPTS ? await node.get(session.key).catch(wrongTypeAsNull) : null;
            // Gone, revoked (a tombstone, which is never rewritten), or still changing: left as it is.
            if (now === null || inspectStoredValue(now).kind !== 'record') {
              tally.changed++;
              return;
            }
            value = now;
          }
        }),
      );
    },
  );

  const data = {
    dryRun: options.dryRun,
    complete: scan.complete,
    cursor: scan.complete ? null : scan.cursor,
    currentKeyId: ring.currentId,
    keyIds: ring.ids,
    records: tally.records,
    before: Object.fromEntries([...before].sort(([a], [b]) => a.localeCompare(b))),
    alreadyCurrent: tally.current,
    [options.dryRun ? 'wouldRewrite' : 'rewritten']: tally.rewritten,
    changedMeanwhile: tally.changed,
    unreadable: tally.unreadable,
    unreadableReasons: [...unreadable].map(([reason, count]) => ({ reason, count })),
    scan: { keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 },
  };

  return {
    data,
    exitCode: !scan.complete ? 130 : tally.unreadable ? 1 : 0,
    render(out: Output) {
      const { c } = out;
      const n = formatCount;
      if (!scan.complete) {
        out.line(c.yellow(`Interrupted. To go on from here, run the same command with --cursor '${scan.cursor}' (what is done stays done).`));
      }
      out.line(
        `${options.dryRun ? c.bold('Dry run, nothing written. ') : ''}${n(tally.records)} record${tally.records === 1 ? '' : 's'}: ` +
          `${options.dryRun ? 'would rewrite' : 'rewrote'} ${c.bold(n(tally.rewritten))} under key id ${ring.currentId}, ${n(tally.current)} already under it.`,
      );
      out.line(`Found under: ${[...before].map(([label, count]) => `${label} ${n(count)}`).join(', ') || 'nothing'}`);
      if (tally.changed) out.line(`Changed during the run (a save, touch, sign-out or expiry won; left as it is): ${n(tally.changed)}.`);
      if (tally.unreadable) {
        out.line(c.red(`Unreadable, left as they are (keep the keys they need, or let them expire): ${n(tally.unreadable)}:`));
        for (const [reason, count] of unreadable) out.line(`  ${n(count)} × ${reason}`);
      }
      out.note(`Walked ${n(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}
