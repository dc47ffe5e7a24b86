import { CorruptSessionError } from './errors.js';
import { decodeUserId } from './keys.js';
import { safeJsonSerializer, type Serializer } from './serializer.js';

/** A session as `get` returns it. Times are epoch milliseconds, from Redis's clock. */
export interface SessionRecord<T = unknown> {
  id: string;
  data: T;
  /** Owner, when the session was written with one. */
  userId?: string;
  createdAt: number;
  expiresAt: number;
  lastSeenAt: number;
  /** Set when an absolute timeout applies: no extension goes past it. */
  absoluteExpiresAt?: number;
  meta?: Record<string, unknown>;
  /** Read from a plain string another store wrote (connect-redis); the next `set` upgrades it. */
  legacy?: true;
}

/** A session as `listUserSessions` returns it: everything but the data. */
export type SessionInfo = Omit<SessionRecord, 'data' | 'userId' | 'legacy'>;

type Bulk = string | null;

function int(value: Bulk | number | undefined, field: string): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (value === null || value === undefined || !Number.isFinite(n)) {
    throw new CorruptSessionError(`stored session has no valid ${field}`);
  }
  return n;
}

export function parseMeta(text: Bulk): Record<string, unknown> | undefined {
  if (text === null) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new CorruptSessionError(`stored session meta is not valid JSON${jsonPosition(error)}`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new CorruptSessionError('stored session meta is not an object');
  delete (meta as Record<string, unknown>)['__proto__'];
  return meta as Record<string, unknown>;
}

/**
 * Where JSON.parse failed, as " (at position N)", or "" when V8 does not say. Parse errors must
 * not travel with a CorruptSessionError, neither in its message nor as its `cause`: V8 quotes
 * short inputs whole (`Unexpected token 'S', "{"pw":SECRET}" is not valid JSON`), and the error
 * goes to the 'corrupt' event, which apps log. A position is a number and quotes nothing.
 */
function jsonPosition(error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const position = /at position (\d+)/.exec(message)?.[1];
  if (position !== undefined) return ` (at position ${position})`;
  return /Unexpected end of JSON input/.test(message) ? ' (it ends early)' : '';
}

function parseData(serializer: Serializer, text: Bulk): unknown {
  if (text === null) throw new CorruptSessionError('stored session has no data');
  try {
    return serializer.parse(text);
  } catch (error) {
    if (serializer === safeJsonSerializer) throw new CorruptSessionError(`stored session data is not valid JSON${jsonPosition(error)}`);
    // A custom serializer's error is the app's own and may quote the text just as well: keep its
    // class name only (an identifier, so nothing of the data can ride along).
    const name = error instanceof Error && /^\w{1,64}$/.test(error.name) ? error.name : 'a non-Error value';
    throw new CorruptSessionError(`the configured serializer could not parse stored session data (it threw ${name})`);
  }
}

/**
 * Turns a read's reply into a record: the GET script's, or `['h', null, ...fields]` from a plain
 * HMGET. Returns null for a session past its recorded expiry by Redis's clock; throws
 * CorruptSessionError for anything unreadable.
 */
export function recordFromReply(
  id: string,
  reply: unknown[] | null,
  serializer: Serializer,
  onBadMeta: (error: CorruptSessionError) => void,
): SessionRecord | null {
  if (!reply) return null;
  const [tag, nowRaw] = reply as [string, number | null];
  // null: a plain HMGET read it, with no clock at hand. Nothing to check then: Redis answers only
  // for a key before its PEXPIREAT, which the scripts set to the recorded expiry. The app
  // server's own clock must not stand in, or one that runs fast would end live sessions.
  const now = nowRaw === null ? null : int(nowRaw, 'clock');
  if (tag === 'h') {
    const [, , d, u, c, e, l, m, a] = reply as Bulk[];
    const expiresAt = int(e ?? null, 'expiry');
    if (now !== null && expiresAt <= now) return null;
    const record: SessionRecord = {
      id,
      data: parseData(serializer, d ?? null),
      createdAt: int(c ?? null, 'creation time'),
      expiresAt,
      lastSeenAt: int(l ?? null, 'last-seen time'),
    };
    if (u) record.userId = decodeUserId(u);
    if (a) record.absoluteExpiresAt = int(a, 'absolute expiry');
    // Meta only decorates listings: a bad one is reported and dropped, the session stays usable.
    try {
      const meta = parseMeta(m ?? null);
      if (meta) record.meta = meta;
    } catch (error) {
      onBadMeta(error as CorruptSessionError);
    }
    return record;
  }
  if (tag === 's') {
    // A plain JSON string, as connect-redis writes it: readable, with no owner or meta yet.
    const [, , value, pttl] = reply as [string, number, Bulk, number];
    if (value === null || pttl === -2) return null;
    const at = int(nowRaw, 'clock'); // the script always sends Redis's clock with a string
    return {
      id,
      data: parseData(serializer, value),
      createdAt: at,
      lastSeenAt: at,
      expiresAt: pttl >= 0 ? at + pttl : Number.MAX_SAFE_INTEGER,
      legacy: true,
    };
  }
  throw new CorruptSessionError(`session key holds a Redis ${String(reply[2])}, not a session`);
}
