import type { Redis } from 'ioredis';
import { escapeGlob, inspectStoredValue } from '@sessionkit/core';
import { classify, parseSession } from '../classify.js';
import type { Context, Result } from '../context.js';
import { formatBytes, formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace } from '../scan.js';

/**
 * A key outside the prefixes that may be a session under another prefix: `<prefix><id>`, the
 * prefix ending in ':' (as 'sess:' does) and the id shaped as session ids are (express-session's
 * are 32 characters of base64url). Only a hint for where to look: the values are read to confirm.
 */
const ELSEWHERE = /^(.*:)([A-Za-z0-9_-]{16,})$/;
const ELSEWHERE_SAMPLES = 3;

/** A prefix other than --prefix under which stats found keys that hold sessions. */
export interface SessionsElsewhere {
  prefix: string;
  keys: number;
  format: 'SessionKit' | 'connect-redis';
}

/** Which candidate prefixes hold sessions, read from a few sample keys of each (most keys first). */
async function confirmElsewhere(candidates: Map<string, { keys: number; samples: { node: Redis; key: string }[] }>): Promise<SessionsElsewhere[]> {
  const found: SessionsElsewhere[] = [];
  const ranked = [...candidates.entries()].sort((a, b) => b[1].keys - a[1].keys).slice(0, 5);
  for (const [prefix, { keys, samples }] of ranked) {
    for (const { node, key } of samples) {
      const text = await node.get(key).catch(() => null);
      if (typeof text !== 'string') continue;
      const kind = inspectStoredValue(text).kind;
      const session = kind === 'legacy' ? parseSession(text) : undefined;
      // express-session always stores the cookie with the session: that is what marks one.
      const format = kind === 'record' ? 'SessionKit' : session && typeof session.cookie === 'object' ? 'connect-redis' : undefined;
      if (format) {
        found.push({ prefix, keys, format });
        break;
      }
    }
  }
  return found;
}

/** `--prefix` as the user would type it again, quoted for a POSIX shell. */
const shellQuote = (text: string) => (/^[\w:.@-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);

export interface StatsOptions {
  rate: number;
  /** Keys whose MEMORY USAGE is sampled, per kind (sessions, indexes). */
  sample: number;
  progress: boolean;
}

/** Upper bounds of the TTL histogram's buckets (ms); a last bucket takes the rest. */
const TTL_BUCKETS: [string, number][] = [
  ['< 1m', 60_000],
  ['< 10m', 600_000],
  ['< 1h', 3_600_000],
  ['< 1d', 86_400_000],
  ['< 7d', 7 * 86_400_000],
  ['< 30d', 30 * 86_400_000],
  ['>= 30d', Infinity],
];

/** Keeps a uniform sample of at most `size` items from a stream of unknown length. */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;

  constructor(private readonly size: number) {}

  offer(item: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(item);
    else {
      const j = Math.floor(Math.random() * this.seen);
      if (j < this.size) this.items[j] = item;
    }
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface MemorySummary {
  sampled: number;
  meanBytes: number;
  medianBytes: number;
  maxBytes: number;
}

async function sampleMemory(sample: { node: Redis; key: string }[]): Promise<MemorySummary | null> {
  const sizes: number[] = [];
  for (const { node, key } of sample) {
    const bytes = await node.memory('USAGE', key);
    if (typeof bytes === 'number') sizes.push(bytes);
  }
  if (sizes.length === 0) return null;
  sizes.sort((a, b) => a - b);
  return {
    sampled: sizes.length,
    meanBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / sizes.length),
    medianBytes: percentile(sizes, 50),
    maxBytes: sizes[sizes.length - 1]!,
  };
}

export async function stats(ctx: Context, options: StatsOptions): Promise<Result> {
  const counts = { sessions: 0, signedIn: 0, anonymous: 0, legacy: 0, legacySignedIn: 0, legacyAnonymous: 0, tombstones: 0, unreadable: 0 };
  const indexes = { index: 0, revoking: 0, pending: 0, members: 0 };
  const perUser = new Map<string, number>();
  // Records by the key ids they are encrypted under ('clear': written without encryption).
  const encryption = new Map<string, number>();
  const ttl = TTL_BUCKETS.map(([label, upTo]) => ({ label, upToMs: upTo, count: 0 }));
  let noExpiry = 0;
  const sessionSample = new Reservoir<{ node: Redis; key: string }>(options.sample);
  const indexSample = new Reservoir<{ node: Redis; key: string }>(options.sample);
  // Keys outside the prefixes that look like sessions, by their own prefix: if none are found
  // under --prefix, the answer says where they may be instead of a bare 0.
  const candidates = new Map<string, { keys: number; samples: { node: Redis; key: string }[] }>();

  const scan = await scanKeyspace(
    ctx.connection,
    { rate: options.rate, signal: ctx.signal, progress: options.progress ? (total) => ctx.out.progress('stats', total) : undefined },
    async (node, keys) => {
      for (const key of keys) {
        if (key.startsWith(ctx.prefixes.prefix) || key.startsWith(ctx.prefixes.indexPrefix)) continue;
        const match = ELSEWHERE.exec(key);
        if (!match) continue;
        const candidate = candidates.get(match[1]!) ?? { keys: 0, samples: [] };
        candidate.keys++;
        if (candidate.samples.length < ELSEWHERE_SAMPLES) candidate.samples.push({ node, key });
        candidates.set(match[1]!, candidate);
      }
      for (const info of await classify(node, keys, ctx.prefixes)) {
        if (info.kind === 'session') {
          counts.sessions++;
          if (info.format === 'legacy') {
            counts.legacy++;
            if (info.userId !== undefined) counts.legacySignedIn++;
            else counts.legacyAnonymous++;
          } else if (info.userId !== undefined) {
            counts.signedIn++;
            perUser.set(info.userId, (perUser.get(info.userId) ?? 0) + 1);
          } else counts.anonymous++;
          if (info.encryption !== undefined) encryption.set(info.encryption, (encryption.get(info.encryption) ?? 0) + 1);
          if (info.pttl < 0) noExpiry++;
          else ttl.find((bucket) => info.pttl < bucket.upToMs)!.count++;
          sessionSample.offer({ node, key: info.key });
        } else if (info.kind === 'tombstone') counts.tombstones++;
        else if (info.kind === 'unreadable') counts.unreadable++;
        else if (info.kind === 'index') {
          indexes[info.role]++;
          if (info.role === 'index') {
            indexes.members += info.members;
            indexSample.offer({ node, key: info.key });
          }
        }
      }
    },
  );

  const elsewhere = counts.sessions === 0 ? await confirmElsewhere(candidates) : [];
  const sizes = [...perUser.values()].sort((a, b) => a - b);
  const memory = {
    session: await sampleMemory(sessionSample.items),
    index: await sampleMemory(indexSample.items),
  };
  const data = {
    prefix: ctx.prefixes.prefix,
    indexPrefix: ctx.prefixes.indexPrefix,
    scan: { complete: scan.complete, keysWalked: scan.walked, masters: scan.nodes, seconds: Math.round(scan.seconds * 10) / 10 },
    sessions: {
      total: counts.sessions,
      signedIn: counts.signedIn,
      anonymous: counts.anonymous,
      connectRedis: { total: counts.legacy, signedIn: counts.legacySignedIn, anonymous: counts.legacyAnonymous },
    },
    /** SessionKit records by key id ('clear': not encrypted; 'a+b': meta and data under different keys). */
    encryption: Object.fromEntries([...encryption].sort(([a], [b]) => a.localeCompare(b))),
    tombstones: counts.tombstones,
    unreadable: counts.unreadable,
    users: {
      signedIn: perUser.size,
      sessionsPerUser: { median: percentile(sizes, 50), p99: percentile(sizes, 99), max: sizes[sizes.length - 1] ?? 0 },
    },
    indexes: { total: indexes.index, members: indexes.members, revoking: indexes.revoking, pending: indexes.pending },
    ttl: { buckets: ttl.map(({ label, upToMs, count }) => ({ label, upToMs: Number.isFinite(upToMs) ? upToMs : null, count })), noExpiry },
    memory,
    ...(counts.sessions === 0 ? { elsewhere } : {}),
  };

  return {
    data,
    exitCode: scan.complete ? 0 : 130,
    render(out: Output) {
      const { c } = out;
      const n = formatCount;
      if (!scan.complete) out.line(c.yellow('Interrupted: the figures below cover only the part of the keyspace walked so far.'));
      out.line(
        `${c.bold('Sessions')} under ${JSON.stringify(data.prefix)}: ${n(counts.sessions)} ` +
          `(${n(counts.signedIn)} signed in, ${n(counts.anonymous)} anonymous, ${n(counts.legacy)} in connect-redis format)`,
      );
      if (counts.sessions === 0) {
        if (elsewhere.length === 0) out.line(c.yellow(`No keys under ${JSON.stringify(data.prefix)}, and no key elsewhere looks like a session.`));
        for (const place of elsewhere) {
          out.line(
            c.yellow(
              `Sessions may be under another prefix: ${n(place.keys)} key${place.keys === 1 ? '' : 's'} under ${JSON.stringify(place.prefix)} ` +
                `(${place.format} format). Run again with --prefix ${shellQuote(place.prefix)}.`,
            ),
          );
        }
      }
      out.line(
        out.table(
          ['what', 'count'],
          [
            ['sessions, signed in', n(counts.signedIn)],
            ['sessions, anonymous', n(counts.anonymous)],
            ['connect-redis format, with an owner', n(counts.legacySignedIn)],
            ['connect-redis format, anonymous', n(counts.legacyAnonymous)],
            ['tombstones (revoked ids)', n(counts.tombstones)],
            ['unreadable values', n(counts.unreadable)],
            ['signed-in users (owners of SessionKit sessions)', n(perUser.size)],
            ['user indexes', n(indexes.index)],
            ['logout-everywhere in progress', n(indexes.revoking)],
          ],
          { align: ['left', 'right'] },
        ),
      );
      if (encryption.size) {
        const byKey = Object.entries(data.encryption).map(([label, count]) => `${label} ${n(count)}`);
        out.line(`${c.bold('Encryption')} (records by key id; clear: not encrypted): ${byKey.join(', ')}`);
      }
      const per = data.users.sessionsPerUser;
      out.line(`${c.bold('Sessions per user')}: median ${per.median}, p99 ${per.p99}, max ${per.max}`);
      out.line(c.bold('Time to expiry'));
      const live = counts.sessions || 1;
      const width = 30;
      const rows: [string, number][] = [...ttl.map((b) => [b.label, b.count] as [string, number]), ['no expiry', noExpiry]];
      for (const [label, count] of rows) {
        const bar = '█'.repeat(Math.round((count / live) * width));
        out.line(`  ${label.padEnd(9)} ${n(count).padStart(9)}  ${c.cyan(bar)}`);
      }
      const mem = (m: MemorySummary | null) =>
        m ? `${formatBytes(m.meanBytes)} mean, ${formatBytes(m.medianBytes)} median, ${formatBytes(m.maxBytes)} max (${m.sampled} sampled)` : 'no sample';
      out.line(`${c.bold('Memory')} (MEMORY USAGE): per session ${mem(memory.session)}; per user index ${mem(memory.index)}`);
      out.note(`Walked ${n(scan.walked)} keys on ${scan.nodes} master${scan.nodes === 1 ? '' : 's'} in ${formatDuration(scan.seconds * 1000)}.`);
    },
  };
}

/** What `unindexedLegacySessions` found. */
export interface UnindexedLegacy {
  /** Keys under --prefix read (a bounded sample: see `complete`). */
  sampled: number;
  /** False when the sample stopped before the end of the keyspace. */
  complete: boolean;
  /** connect-redis sessions with an owner that are in no user index. */
  unindexed: number;
  /** Of those, the ones owned by the user asked about. */
  owned: number;
}

/**
 * connect-redis sessions under --prefix that are in no user index: `list`, `revoke --all` and
 * logout-everywhere do not see them until `sessionkit migrate` indexes them (or their user's next
 * request through SessionKit rewrites them). Read from a bounded sample (SCAN MATCH on the
 * prefix, at most `limit` keys per master), so that `list` and `revoke` stay quick on a big
 * keyspace; `complete` says whether it covered every key.
 */
export async function unindexedLegacySessions(ctx: Context, userId?: string, limit = 5000): Promise<UnindexedLegacy> {
  const result: UnindexedLegacy = { sampled: 0, complete: true, unindexed: 0, owned: 0 };
  const byOwner = new Map<string, string[]>();
  const match = `${escapeGlob(ctx.prefixes.prefix)}*`;
  for (const node of ctx.connection.masters()) {
    let cursor = '0';
    let read = 0;
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      read += keys.length;
      for (const info of await classify(node, keys, ctx.prefixes)) {
        if (info.kind !== 'session' || info.format !== 'legacy' || info.userId === undefined) continue;
        byOwner.set(info.userId, [...(byOwner.get(info.userId) ?? []), info.id]);
      }
    } while (cursor !== '0' && read < limit);
    result.sampled += read;
    if (cursor !== '0') result.complete = false;
  }
  // A session `migrate` indexed stays in connect-redis format: ask the index, owner by owner.
  for (const [owner, ids] of byOwner) {
    const indexed = new Set((await ctx.store.listUserSessions(owner)).map((s) => s.id));
    const missing = ids.filter((id) => !indexed.has(id)).length;
    result.unindexed += missing;
    if (owner === userId) result.owned += missing;
  }
  return result;
}

/** The sentence `list`, `revoke --all` and `doctor` print about sessions `migrate` would index. */
export function unindexedLegacyNote(found: UnindexedLegacy, prefix: string, userId?: string): string | undefined {
  if (found.unindexed === 0) return undefined;
  const sample = found.complete ? '' : ` (in a sample of ${formatCount(found.sampled)} keys)`;
  const plural = (n: number) => `${formatCount(n)} connect-redis session${n === 1 ? '' : 's'}`;
  const whose = userId !== undefined && found.owned > 0 ? `, ${formatCount(found.owned)} of them ${JSON.stringify(userId)}'s,` : '';
  return (
    `${plural(found.unindexed)} under ${JSON.stringify(prefix)}${sample}${whose} ${found.unindexed === 1 ? 'is' : 'are'} in no user index yet: ` +
    'list, revoke and logout-everywhere do not see them. Run `sessionkit migrate` to index them.'
  );
}
