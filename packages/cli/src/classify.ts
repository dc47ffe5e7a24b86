import type { Redis } from 'ioredis';
import { decodeUserId, inspectStoredValue } from '@sessionkit/core';
import { defaultOwner } from '@sessionkit/core/toolkit';

/**
 * What one key under the store's prefixes holds, read in two pipelined round trips per batch: the
 * record format is the core's to read (inspectStoredValue), a connect-redis string is JSON.
 */
export type KeyInfo =
  | {
      kind: 'session';
      key: string;
      id: string;
      /** `record`: written by SessionKit; `legacy`: a plain JSON string, as connect-redis writes. */
      format: 'record' | 'legacy';
      /**
       * The owner: the record's, or for a legacy session the one core's `defaultOwner` finds in its
       * JSON, as every store finds it (`userId`, `user.id`, `passport.user`). A legacy owner is not
       * yet checked against the store's rules (its length): `migrate` does that, and skips it.
       */
      userId?: string;
      /** ms left, -1 for none (PTTL). */
      pttl: number;
      /** The parsed JSON of a legacy session (migrate may look for its owner elsewhere in it). */
      session?: Record<string, unknown>;
      /** A record's key ids, or 'clear' (core's StoredValueInfo `encryption`). */
      encryption?: string;
      /** The value as read (with `keepValue`: reencrypt rewrites it). */
      value?: string;
    }
  | { kind: 'tombstone'; key: string }
  | { kind: 'unreadable'; key: string; type: string }
  | { kind: 'index'; key: string; userId: string; role: 'index' | 'revoking' | 'pending'; members: number }
  | { kind: 'gone'; key: string };

export interface Prefixes {
  prefix: string;
  indexPrefix: string;
}

/** A connect-redis value: a JSON object; anything else is not a session. */
export function parseSession(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function ours(key: string, { prefix, indexPrefix }: Prefixes): boolean {
  return key.startsWith(prefix) || key.startsWith(indexPrefix);
}

/** `<indexPrefix>{<encoded uid>}` with an optional `:revoking` / `:pending` after the brace. */
function parseIndexKey(key: string, indexPrefix: string): { userId: string; role: 'index' | 'revoking' | 'pending' } | undefined {
  const match = /^\{([^}]*)\}(:revoking|:pending)?$/.exec(key.slice(indexPrefix.length));
  if (!match) return undefined;
  const role = match[2] === ':revoking' ? 'revoking' : match[2] === ':pending' ? 'pending' : 'index';
  return { userId: decodeUserId(match[1]!), role };
}

/** MOVED/ASK: the key's slot moved while we walked its old master; it is counted where it went. */
function isRedirect(error: Error): boolean {
  return /^(MOVED|ASK) /.test(error.message);
}

type Replies = [Error | null, unknown][];

async function exec(pipeline: ReturnType<Redis['pipeline']>): Promise<Replies> {
  const replies = ((await pipeline.exec()) ?? []) as Replies;
  // A refused command (NOPERM, a busy script) fails the run; a redirected key is skipped.
  const fatal = replies.find(([error]) => error && !isRedirect(error));
  if (fatal) throw fatal[0];
  return replies;
}

export async function classify(
  node: Redis,
  keys: string[],
  prefixes: Prefixes,
  options: { keepSession?: boolean; keepValue?: boolean } = {},
): Promise<KeyInfo[]> {
  const mine = keys.filter((key) => ours(key, prefixes));
  if (mine.length === 0) return [];
  const first = node.pipeline();
  for (const key of mine) first.type(key).pttl(key);
  const typed = await exec(first);

  const second = node.pipeline();
  const plans: (() => KeyInfo)[] = [];
  let queued = 0;
  mine.forEach((key, i) => {
    const [typeError, type] = typed[2 * i]!;
    const [, pttl] = typed[2 * i + 1]!;
    if (typeError || type === 'none') {
      plans.push(() => ({ kind: 'gone', key }));
      return;
    }
    if (key.startsWith(prefixes.prefix)) {
      const id = key.slice(prefixes.prefix.length);
      if (type === 'string') {
        const slot = queued++;
        second.get(key);
        plans.push(() => {
          const [error, text] = secondReplies[slot]!;
          if (error || typeof text !== 'string') return { kind: 'gone', key };
          const info = inspectStoredValue(text);
          if (info.kind === 'tombstone') return { kind: 'tombstone', key };
          if (info.kind === 'unknown') return { kind: 'unreadable', key, type: 'string' };
          const session: KeyInfo = { kind: 'session', key, id, format: info.kind, pttl: Number(pttl) };
          if (options.keepValue) session.value = text;
          if (info.kind === 'record') {
            if (info.userId !== undefined) session.userId = info.userId;
            if (info.encryption !== undefined) session.encryption = info.encryption;
            return session;
          }
          const parsed = parseSession(text);
          if (!parsed) return { kind: 'unreadable', key, type: 'string' };
          const owner = defaultOwner(parsed);
          if (owner !== undefined) session.userId = String(owner);
          if (options.keepSession) session.session = parsed;
          return session;
        });
      } else {
        plans.push(() => ({ kind: 'unreadable', key, type: String(type) }));
      }
      return;
    }
    const index = parseIndexKey(key, prefixes.indexPrefix);
    if (type !== 'zset' || !index) {
      plans.push(() => ({ kind: 'unreadable', key, type: String(type) }));
      return;
    }
    const slot = queued++;
    second.zcard(key);
    plans.push(() => {
      const [error, members] = secondReplies[slot]!;
      return error ? { kind: 'gone', key } : { kind: 'index', key, ...index, members: Number(members) };
    });
  });
  const secondReplies: Replies = queued ? await exec(second) : [];
  return plans.map((plan) => plan());
}
