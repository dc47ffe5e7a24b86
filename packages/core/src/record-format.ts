/**
 * The stored forms of a session key, as src/lua/includes/record.lua writes them (keep the two in
 * step; the layout is explained there):
 *
 *   ~1 EEEEEEEEEEEEE LLLLLLLLLLLLL |created|absolute|version|uid|metaLength| meta data
 *
 * plus a tombstone (`!sessionkit-revoked:<ms>`) and a plain JSON string that connect-redis wrote.
 */

import { MAX_ENCODED_USER_ID_BYTES } from './keys.js';

/** No JSON text (what connect-redis stores) can start with '!'. */
export const TOMBSTONE_PREFIX = '!sessionkit-revoked:';
export const RECORD_MAGIC = '~1';
/** Where the variable part of the header starts (after the magic and two 13-digit times). */
const VARIABLE_AT = 28;
/** Bytes a listing reads first: the header and most metas (record.lua's HEAD_BYTES reads the same). */
export const HEAD_BYTES = 256;

export interface RecordHeader {
  expiresAt: number;
  lastSeenAt: number;
  createdAt: number;
  absoluteExpiresAt?: number;
  /** Counts saves; a save that carries the version it loaded fails on a mismatch (see the store). */
  version: number;
  /** Encoded owner, '' for an anonymous session. */
  owner: string;
  /** Where meta starts in the value, and its length; data follows it. */
  metaAt: number;
  metaLength: number;
}

const VARIABLE = /^\|(\d+)\|(\d*)\|(\d+)\|([^|]*)\|(\d+)\|/;
/**
 * How far the variable part is scanned: the longest owner `set` accepts plus room for the five
 * numbers and six separators (16 digits each is more than any of them needs). Keep it derived
 * from the limit: an owner longer than the scan would be written and never read back.
 */
const VARIABLE_SCAN = MAX_ENCODED_USER_ID_BYTES + 5 * 16 + 6;

/** The header of a record of this format version, or undefined (not a record, another version, cut short). */
export function parseHeader(value: string): RecordHeader | undefined {
  if (!value.startsWith(RECORD_MAGIC)) return undefined;
  const match = VARIABLE.exec(value.slice(VARIABLE_AT, VARIABLE_AT + VARIABLE_SCAN));
  if (!match) return undefined;
  const [whole, c, a, v, u, ml] = match as unknown as [string, string, string, string, string, string];
  const header: RecordHeader = {
    expiresAt: Number(value.slice(2, 15)),
    lastSeenAt: Number(value.slice(15, 28)),
    createdAt: Number(c),
    version: Number(v),
    owner: u,
    metaAt: VARIABLE_AT + whole.length,
    metaLength: Number(ml),
  };
  if (a) header.absoluteExpiresAt = Number(a);
  if (!Number.isFinite(header.expiresAt) || !Number.isFinite(header.lastSeenAt)) return undefined;
  return header;
}

export type StoredKind = 'record' | 'tombstone' | 'legacy' | 'unknown-version' | 'empty';

/** What a session key's string value is, from its first bytes. */
export function storedKind(value: string): StoredKind {
  if (value === '') return 'empty';
  if (value.startsWith(TOMBSTONE_PREFIX)) return 'tombstone';
  if (value.startsWith(RECORD_MAGIC)) return 'record';
  // '~' followed by anything else is a record of a format this release does not know.
  if (value.startsWith('~')) return 'unknown-version';
  return 'legacy';
}
