import type { Redis } from 'ioredis';
import { classify } from '../classify.js';
import type { Context, Result } from '../context.js';
import { formatBytes, formatCount, formatDuration, type Output } from '../output.js';
import { scanKeyspace } from '../scan.js';

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
  const ttl = TTL_BUCKETS.map(([label, upTo]) => ({ label, upToMs: upTo, count: 0 }));
  let noExpiry = 0;
  const sessionSample = new Reservoir<{ node: Redis; key: string }>(options.sample);
  const indexSample = new Reservoir<{ node: Redis; key: string }>(options.sample);

  const scan = await scanKeyspace(
    ctx.connection,
    { rate: options.rate, signal: ctx.signal, progress: options.progress ? (total) => ctx.out.progress('stats', total) : undefined },
    async (node, keys) => {
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
    tombstones: counts.tombstones,
    unreadable: counts.unreadable,
    users: {
      signedIn: perUser.size,
      sessionsPerUser: { median: percentile(sizes, 50), p99: percentile(sizes, 99), max: sizes[sizes.length - 1] ?? 0 },
    },
    indexes: { total: indexes.index, members: indexes.members, revoking: indexes.revoking, pending: indexes.pending },
    ttl: { buckets: ttl.map(({ label, upToMs, count }) => ({ label, upToMs: Number.isFinite(upToMs) ? upToMs : null, count })), noExpiry },
    memory,
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
