import * as crypto from 'node:crypto';
import { createHash, randomBytes } from 'node:crypto';
import { SessionKitError } from './errors.js';

/**
 * User ids are percent-encoded byte-wise, keeping only [A-Za-z0-9._~-], so that braces (hash
 * tags), colons (key separators), glob characters (SCAN patterns) and non-ASCII can never change
 * the key layout. The encoded form is what Redis stores in the session's `u` field.
 */
const SAFE_BYTE = /^[A-Za-z0-9._~-]$/;
const ALL_SAFE = /^[A-Za-z0-9._~-]*$/;

export function encodeUserId(userId: string): string {
  // Most ids (numbers, UUIDs, slugs) encode to themselves: skip the byte walk, which runs on every write.
  if (ALL_SAFE.test(userId)) return userId;
  let out = '';
  for (const byte of Buffer.from(userId, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && SAFE_BYTE.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function decodeUserId(encoded: string): string {
  if (!encoded.includes('%')) return encoded;
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    if (encoded[i] === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(encoded.charCodeAt(i));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Escapes a literal for use in a SCAN MATCH pattern. */
export function escapeGlob(literal: string): string {
  return literal.replace(/[*?[\]\\]/g, '\\$&');
}

/**
 * A new session id for an adapter that makes its own (Hono, Next.js, React Router): 192 random
 * bits, base64url, 32 characters (OWASP ASVS 7.2.3 asks for 128; see docs/security.md).
 */
export function newSessionId(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * SHA-256 of a string, in one call: `crypto.hash` (Node 20.12+, 21.7+) builds no Hash object,
 * which halves the cost (about 0.7 -> 0.3 µs here) of what every get and save of a hashed id
 * pays; older Nodes take the Hash object.
 */
const oneShot = (crypto as Partial<typeof crypto>).hash;
const sha256 = (text: string, encoding: 'hex' | 'base64url'): string =>
  oneShot ? oneShot('sha256', text, encoding) : createHash('sha256').update(text).digest(encoding);

/** A short, stable, non-reversible tag for a session id, for logs and events. */
export function hashId(id: string): string {
  return sha256(id, 'hex').slice(0, 16);
}

/**
 * What Redis stores in place of a session id (key suffix and index member): the SHA-256 of the
 * id, base64url, 43 characters. No key: a session id is 192 random bits, so nobody can find an id
 * from its hash (preimage resistance), nor guess ids to hash (2^192 of them); see docs/security.md.
 */
export function sessionHandle(id: string): string {
  return sha256(id, 'base64url');
}

const HANDLE = /^[A-Za-z0-9_-]{43}$/;

/**
 * True for what `sessionHandle` returns (by its shape: a plain id of 43 base64url characters looks
 * the same). With hashed ids, such an id is never looked up under its plain id (`legacyKeys`): that
 * key would be the hashed key of the session it is the handle of.
 */
export function isHandle(member: string): boolean {
  // The length first: every get and save asks this of a session id, which is seldom 43 characters.
  return member.length === 43 && HANDLE.test(member);
}

/** The `hashId` tag of the session an index member names: a handle is the id's hash already. */
export function hashIdOfMember(member: string): string {
  return isHandle(member) ? Buffer.from(member, 'base64url').subarray(0, 8).toString('hex') : hashId(member);
}

export const MAX_ID_LENGTH = 1024;
/**
 * The longest user id once percent-encoded, in bytes (the encoded form is ASCII: one byte a
 * character). The record header holds the encoded id, and record-format.ts's parser reads headers
 * up to a bound derived from this limit: an id over it would be written but never read back.
 * Every 1024-character ASCII id fits (at most 3 072 bytes); `é` takes 6 bytes, `日` 9.
 */
export const MAX_ENCODED_USER_ID_BYTES = 4096;

/** The length of `encodeUserId(userId)`, without building it. */
function encodedLength(userId: string): number {
  if (ALL_SAFE.test(userId)) return userId.length;
  let length = 0;
  for (const byte of Buffer.from(userId, 'utf8')) length += byte < 0x80 && SAFE_BYTE.test(String.fromCharCode(byte)) ? 1 : 3;
  return length;
}

export function checkSessionId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0) {
    throw new SessionKitError('ERR_INVALID_ID', `session id must be a non-empty string, got ${describe(id)}`);
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new SessionKitError('ERR_INVALID_ID', `session id is ${id.length} characters, over the limit of ${MAX_ID_LENGTH}`);
  }
  // A lone surrogate becomes U+FFFD in UTF-8, so two different ids would share one key.
  if (!id.isWellFormed()) throw new SessionKitError('ERR_INVALID_ID', 'session id is not well-formed Unicode (lone surrogate)');
}

export function normalizeUserId(userId: unknown): string {
  if (typeof userId === 'number' && Number.isFinite(userId)) return String(userId);
  if (typeof userId !== 'string' || userId.length === 0) {
    throw new SessionKitError('ERR_INVALID_USER_ID', `user id must be a non-empty string or a finite number, got ${describe(userId)}`);
  }
  if (userId.length > MAX_ID_LENGTH) {
    throw new SessionKitError('ERR_INVALID_USER_ID', `user id is ${userId.length} characters, over the limit of ${MAX_ID_LENGTH}`);
  }
  if (!userId.isWellFormed()) throw new SessionKitError('ERR_INVALID_USER_ID', 'user id is not well-formed Unicode (lone surrogate)');
  const encoded = encodedLength(userId);
  if (encoded > MAX_ENCODED_USER_ID_BYTES) {
    throw new SessionKitError(
      'ERR_INVALID_USER_ID',
      `user id is ${encoded} bytes percent-encoded, over the limit of ${MAX_ENCODED_USER_ID_BYTES} (each byte of UTF-8 outside A-Z a-z 0-9 . _ ~ - takes three)`,
    );
  }
  return userId;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : 'a string';
  return typeof value;
}

/**
 * Where each key lives. The one place that turns a session id into what Redis holds: a member
 * (the index member, and the key's suffix: `sessionAt(member)`) is the id's handle with `hashIds`,
 * else the id. Everything below the store (topology, Lua scripts) works on members only: the
 * scripts build a session key as `prefix .. member`, whichever form the member has, so a plain-id
 * member that an earlier release indexed still names its (legacy) key.
 */
export class KeyLayout {
  constructor(
    readonly prefix: string,
    readonly indexPrefix: string,
    readonly hashIds = true,
  ) {}

  /** The index member, and key suffix, of a session id. */
  member(id: string): string {
    return this.hashIds ? sessionHandle(id) : id;
  }

  /** The key of a session id. */
  session(id: string): string {
    return this.prefix + this.member(id);
  }

  /** The key an index member names. */
  sessionAt(member: string): string {
    return this.prefix + member;
  }

  /** Where connect-redis and releases before hashed ids kept a session: `<prefix><id>`. */
  legacySession(id: string): string {
    return this.prefix + id;
  }

  /** The user's index; the braces make the index and its draining copy share one cluster slot. */
  index(encodedUserId: string): string {
    return `${this.indexPrefix}{${encodedUserId}}`;
  }

  /** Holds the index's members while logout-everywhere works through them in chunks. */
  draining(encodedUserId: string): string {
    return `${this.index(encodedUserId)}:revoking`;
  }

  /**
   * Cluster with policy 'reject': places reserved by writes still in flight. The cap counts them;
   * listings and logout-everywhere do not see them until the session exists and joins the index.
   */
  pending(encodedUserId: string): string {
    return `${this.index(encodedUserId)}:pending`;
  }

  sessionPattern(): string {
    return `${escapeGlob(this.prefix)}*`;
  }

  indexPattern(): string {
    return `${escapeGlob(this.indexPrefix)}*`;
  }
}
