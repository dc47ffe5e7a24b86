import { CorruptSessionError } from './errors.js';
import { sealedKeyId } from './encryption.js';
import { decodeUserId } from './keys.js';
import { parseHeader, storedKind, type RecordHeader } from './record-format.js';
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
  /** Counts saves (0 for a session another store wrote); `set`'s `ifVersion` compares with it. */
  version: number;
  /** Read from a plain string another store wrote (connect-redis); the next `set` upgrades it. */
  legacy?: true;
}

/** A session as `listUserSessions` returns it: everything but the data. */
export type SessionInfo = Omit<SessionRecord, 'data' | 'userId' | 'legacy' | 'version'>;

/** What a raw session-key value is, for tools that look at Redis directly (the CLI's stats). */
export interface StoredValueInfo {
  kind: 'record' | 'tombstone' | 'legacy' | 'unknown';
  userId?: string;
  createdAt?: number;
  expiresAt?: number;
  lastSeenAt?: number;
  absoluteExpiresAt?: number;
  /**
   * For a record: the key ids its meta and data are encrypted under, 'clear' for a part in clear
   * (an empty meta counts for nothing), distinct, sorted, joined with '+': 'clear' for a record
   * written without encryption, one key id for a record all under that key.
   */
  encryption?: string;
}

/** See StoredValueInfo's `encryption`. */
export function encryptionLabel(meta: string, data: string): string {
  const parts = meta === '' ? [data] : [meta, data];
  return [...new Set(parts.map((part) => sealedKeyId(part) ?? 'clear'))].sort().join('+');
}

export function parseMeta(text: string | undefined): Record<string, unknown> | undefined {
  if (!text) return undefined;
  let meta: unknown;
  try {
    meta = JSON.parse(text);
  } catch (error) {
    throw new CorruptSessionError(`stored session meta is not valid JSON${jsonPosition(error)}`);
  }
  if (!meta || typeof meta !== 'object' || Array.isArray(meta)) throw new CorruptSessionError('stored session meta is not an object');
  // biome-ignore lint/suspicious/noProto: JSON.parse makes '__proto__' an own key; dropping it is the point (prototype pollution)
  // biome-ignore lint/complexity/useLiteralKeys: the bracket form names the own key, not the accessor
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

export function parseData(serializer: Serializer, text: string): unknown {
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

/** A session value as read by GET: the record's header, its meta and data texts. */
export interface StoredSession {
  header?: RecordHeader;
  /** The serialized data (for a connect-redis string: the whole value). */
  text: string;
  meta?: string;
}

/**
 * Splits a session key's value. Null for an absent or revoked session; throws CorruptSessionError
 * for a record it cannot read (a damaged header, or a format version this release does not know:
 * written by a newer release, see docs/data-model.md's upgrade policy).
 */
export function splitValue(value: string | null): StoredSession | null {
  if (value === null) return null;
  const kind = storedKind(value);
  if (kind === 'tombstone' || kind === 'empty') return null;
  if (kind === 'legacy') return { text: value };
  if (kind === 'unknown-version') {
    throw new CorruptSessionError(`stored session has record format ${JSON.stringify(value.slice(0, 2))}, which this release does not read`);
  }
  const header = parseHeader(value);
  if (!header) throw new CorruptSessionError('stored session has a damaged header');
  const dataAt = header.metaAt + header.metaLength;
  if (dataAt > value.length) throw new CorruptSessionError('stored session is shorter than its header says');
  return { header, meta: value.slice(header.metaAt, dataAt), text: value.slice(dataAt) };
}

/**
 * A record from a split value. `legacyExpiresAt` is when a connect-redis string expires (its PTTL
 * on Redis's clock), `now` Redis's clock as this process estimates it.
 */
export function toRecord(
  id: string,
  stored: StoredSession,
  serializer: Serializer,
  onBadMeta: (error: CorruptSessionError) => void,
  legacy: { now: number; expiresAt: number },
): SessionRecord {
  const data = parseData(serializer, stored.text);
  const { header } = stored;
  if (!header) {
    return { id, data, createdAt: legacy.now, lastSeenAt: legacy.now, expiresAt: legacy.expiresAt, version: 0, legacy: true };
  }
  const record: SessionRecord = {
    id,
    data,
    createdAt: header.createdAt,
    expiresAt: header.expiresAt,
    lastSeenAt: header.lastSeenAt,
    version: header.version,
  };
  if (header.owner) record.userId = decodeUserId(header.owner);
  if (header.absoluteExpiresAt !== undefined) record.absoluteExpiresAt = header.absoluteExpiresAt;
  // Meta only decorates listings: a bad one is reported and dropped, the session stays usable.
  try {
    const meta = parseMeta(stored.meta);
    if (meta) record.meta = meta;
  } catch (error) {
    onBadMeta(error as CorruptSessionError);
  }
  return record;
}

/** Classifies a raw session-key value without parsing its data. */
export function inspectStoredValue(value: string): StoredValueInfo {
  const kind = storedKind(value);
  if (kind === 'tombstone') return { kind };
  if (kind === 'legacy') return { kind };
  const header = kind === 'record' ? parseHeader(value) : undefined;
  if (!header) return { kind: 'unknown' };
  const info: StoredValueInfo = {
    kind: 'record',
    createdAt: header.createdAt,
    expiresAt: header.expiresAt,
    lastSeenAt: header.lastSeenAt,
  };
  const dataAt = header.metaAt + header.metaLength;
  if (dataAt <= value.length) info.encryption = encryptionLabel(value.slice(header.metaAt, dataAt), value.slice(dataAt));
  if (header.owner) info.userId = decodeUserId(header.owner);
  if (header.absoluteExpiresAt !== undefined) info.absoluteExpiresAt = header.absoluteExpiresAt;
  return info;
}
