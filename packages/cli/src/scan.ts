import type { Redis } from 'ioredis';
import type { Connection } from './connect.js';
import { UsageError } from './errors.js';
import type { Progress } from './output.js';

/**
 * A SCAN of every master, bounded in its load on Redis: at most `rate` keys per second over the
 * whole run, all masters together. SCAN runs without MATCH, so the number of keys a call returns
 * is the number Redis walked, which is what `--rate` bounds and what the progress bar counts
 * (against DBSIZE); keys outside the prefixes are dropped here, not in Redis.
 */

export interface ScanOptions {
  /** Keys per second, all masters together; 0 for no limit. */
  rate: number;
  signal: AbortSignal;
  progress?: (total: number) => Progress;
  /** Where an earlier run stopped (its summary's `cursor`): each master goes on from there. */
  resume?: string;
}

export interface ScanSummary {
  /** Keys SCAN returned (all of them, not only SessionKit's). */
  walked: number;
  nodes: number;
  /** False when the run was interrupted before every master was walked. */
  complete: boolean;
  seconds: number;
  /**
   * Where each master's walk stands, to resume from (`resume`): `host:port=cursor` per master,
   * comma-separated, `done` for a master walked to its end. SCAN cursors are stateless, so a
   * later run (another process) goes on where this one stopped.
   */
  cursor: string;
}

function nodeName(node: Redis): string {
  return `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`;
}

/** `resume` as cursors by master name; a name no master has means the cluster changed since. */
function resumePoints(resume: string | undefined, masters: Redis[]): Map<string, string> {
  const points = new Map<string, string>();
  if (resume === undefined) return points;
  for (const part of resume.split(',')) {
    const match = /^(.+)=(\d+|done)$/.exec(part.trim());
    if (!match)
      throw new UsageError(`--cursor: expected host:port=cursor (or =done) per master, comma-separated, as a run prints it; got ${JSON.stringify(part)}`);
    points.set(match[1]!, match[2]!);
  }
  const names = new Set(masters.map(nodeName));
  const unknown = [...points.keys()].filter((name) => !names.has(name));
  if (unknown.length) {
    throw new UsageError(
      `--cursor names ${unknown.join(', ')}, which is not a master now (${[...names].join(', ')}): the masters changed, run again without --cursor`,
    );
  }
  return points;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Spaces work out so that `taken` units never run ahead of `rate` per second since the start. */
export class Pacer {
  private taken = 0;
  private readonly started = Date.now();

  constructor(private readonly rate: number) {}

  async take(units: number, signal: AbortSignal): Promise<void> {
    this.taken += units;
    if (!this.rate) return;
    const due = this.started + (this.taken / this.rate) * 1000;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait, signal);
  }
}

export async function scanKeyspace(
  connection: Connection,
  options: ScanOptions,
  onBatch: (node: Redis, keys: string[]) => Promise<void>,
): Promise<ScanSummary> {
  const started = Date.now();
  const masters = connection.masters();
  const points = resumePoints(options.resume, masters);
  const total = (await Promise.all(masters.map((node) => node.dbsize()))).reduce((a, b) => a + b, 0);
  const progress = options.progress?.(total);
  const pacer = new Pacer(options.rate);
  // About ten SCAN calls a second at the limit: a smooth bar, and no call that walks much at once.
  const count = options.rate ? Math.max(10, Math.min(1000, Math.round(options.rate / 10))) : 1000;
  let walked = 0;
  let complete = true;
  try {
    await Promise.all(
      masters.map(async (node) => {
        const name = nodeName(node);
        let cursor = points.get(name) ?? '0';
        points.set(name, cursor);
        if (cursor === 'done') return;
        do {
          if (options.signal.aborted) {
            complete = false;
            return;
          }
          const [next, keys] = await node.scan(cursor, 'COUNT', count);
          cursor = next;
          walked += keys.length;
          if (keys.length) await onBatch(node, keys);
          // Only once the batch is done: a run stopped within it resumes at that batch again.
          points.set(name, cursor === '0' ? 'done' : cursor);
          progress?.increment(keys.length);
          // An empty page counts as one key, so that a sparse keyspace is paced too.
          await pacer.take(Math.max(keys.length, 1), options.signal);
        } while (cursor !== '0');
      }),
    );
  } finally {
    progress?.stop();
  }
  if (options.signal.aborted) complete = false;
  const cursor = [...points].map(([name, at]) => `${name}=${at}`).join(',');
  return { walked, nodes: masters.length, complete, seconds: (Date.now() - started) / 1000, cursor };
}
