import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';
import { CorruptSessionError, SessionKitError } from './errors.js';
import { isHandle, sessionHandle } from './keys.js';

/**
 * Encryption at rest (the `encryptionKeys` option): a record's meta and data are each sealed with
 * AES-256-GCM under the key ring's first key; its header (times, version, owner) stays clear,
 * because the Lua scripts compare and rewrite it. A sealed part is ASCII, so the record's lengths
 * stay byte counts:
 *
 *   ~e1. KKKKKKKK IIIIIIIIIIIIIIII CCCC...TTTT
 *
 * `~e1.` (no JSON text starts with '~', and meta is always a JSON object), K the key id (8
 * base64url characters: 6 bytes of a SHA-256 of the key, so operators configure keys only), I the
 * random 96-bit IV (16 characters), then the ciphertext and its 16-byte tag, base64url. The
 * associated data names the session (its handle, whatever the key layout) and the part, so a
 * sealed value copied onto another session, or from meta to data, fails authentication.
 */

export const SEALED_PREFIX = '~e1.';
const KEY_ID_AT = SEALED_PREFIX.length;
const IV_AT = KEY_ID_AT + 8;
const BODY_AT = IV_AT + 16;
const TAG_BYTES = 16;
/** What a sealed part adds to its plaintext, besides base64url's 4/3 (see docs/benchmarks.md). */
export const SEALED_OVERHEAD_CHARS = BODY_AT;

export type SealedPart = 'meta' | 'data';

/** A key as the option takes it: base64 (or base64url) of 32 bytes, or the 32 bytes. */
export type EncryptionKey = string | Buffer | Uint8Array;

/**
 * IVs come from a pool of random bytes filled 4 KiB at a time: a 12-byte `randomBytes` call costs
 * about 1.9 µs, a quarter of a seal, and a slice of the pool 0.06 µs. Each slice is used once; the
 * bytes are the same CSPRNG's either way.
 */
const IV_POOL = Buffer.alloc(12 * 341);
let ivAt = IV_POOL.length;
function nextIv(): Buffer {
  if (ivAt + 12 > IV_POOL.length) {
    randomFillSync(IV_POOL);
    ivAt = 0;
  }
  // A copy: the pool is refilled in place, and the IV must not change under a cipher.
  const iv = Buffer.from(IV_POOL.subarray(ivAt, ivAt + 12));
  ivAt += 12;
  return iv;
}

const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}=?$/;

/** The id a key is known by in stored values: not secret (a hash of a 256-bit random key). */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update('sessionkit key id\0').update(key).digest().subarray(0, 6).toString('base64url');
}

function keyBytes(value: unknown, name: string): Buffer {
  // Never quote the value: it is a secret (a near-miss of one, at least).
  const hint = 'expected 32 random bytes in base64, as `openssl rand -base64 32` prints them';
  if (typeof value === 'string') {
    const text = value.trim();
    if (!BASE64_KEY.test(text)) throw new SessionKitError('ERR_CONFIG', `option ${name} is not a 32-byte key in base64 (${text.length} characters): ${hint}`);
    return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  }
  if (value instanceof Uint8Array) {
    if (value.length !== 32) throw new SessionKitError('ERR_CONFIG', `option ${name} is ${value.length} bytes, not 32: ${hint}`);
    return Buffer.from(value);
  }
  throw new SessionKitError('ERR_CONFIG', `option ${name} must be a base64 string or a Buffer, got ${value === null ? 'null' : typeof value}: ${hint}`);
}

/**
 * The keys, by id; the first one seals. Keys live in private fields, so that neither
 * `store.options` printed nor JSON.stringify of it shows them: only their ids.
 */
export class KeyRing {
  readonly #keys: Map<string, KeyObject>;
  readonly #current: KeyObject;
  /** The id of the key that seals. */
  readonly currentId: string;
  /** Every key's id, the current one first. */
  readonly ids: readonly string[];

  constructor(keys: readonly EncryptionKey[], name = 'encryptionKeys') {
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new SessionKitError(
        'ERR_CONFIG',
        `option ${name} must be a non-empty array of keys (the first one encrypts, all decrypt), or omitted to store sessions in clear`,
      );
    }
    this.#keys = new Map();
    keys.forEach((value, i) => {
      const key = keyBytes(value, `${name}[${i}]`);
      const id = keyIdOf(key);
      if (this.#keys.has(id))
        throw new SessionKitError('ERR_CONFIG', `option ${name}[${i}] is the same key as an earlier entry (key id ${id}): list each key once`);
      this.#keys.set(id, createSecretKey(key));
    });
    this.ids = Object.freeze([...this.#keys.keys()]);
    this.currentId = this.ids[0]!;
    this.#current = this.#keys.get(this.currentId)!;
  }

  /** Seals `plain` (UTF-8) as the `part` of the session whose handle is `handle`. */
  seal(plain: string, handle: string, part: SealedPart): string {
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', this.#current, iv);
    cipher.setAAD(associatedData(handle, part));
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${SEALED_PREFIX}${this.currentId}${iv.toString('base64url')}${body.toString('base64url')}`;
  }

  /** The plaintext of a sealed part; CorruptSessionError when it does not authenticate. */
  open(sealed: string, handle: string, part: SealedPart): string {
    const id = sealed.slice(KEY_ID_AT, IV_AT);
    const key = this.#keys.get(id);
    if (!key) {
      throw new CorruptSessionError(
        `stored session ${part} is encrypted under key id ${JSON.stringify(id)}, which is not in encryptionKeys (${this.ids.join(', ')})`,
      );
    }
    const iv = strictBase64url(sealed.slice(IV_AT, BODY_AT));
    const body = strictBase64url(sealed.slice(BODY_AT));
    if (!iv || !body) throw new CorruptSessionError(`stored session ${part} is encrypted but not in base64url`);
    if (iv.length !== 12 || body.length < TAG_BYTES) throw new CorruptSessionError(`stored session ${part} is encrypted but cut short`);
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(associatedData(handle, part));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new CorruptSessionError(`stored session ${part} failed authentication under key id ${id}: changed, cut short, or copied from another session`);
    }
  }

  toJSON(): { ids: readonly string[] } {
    return { ids: this.ids };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `KeyRing { ids: [${this.ids.join(', ')}] }`;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * The bytes of `text` only if it is exactly what base64url of them gives. Buffer.from alone skips
 * characters outside the alphabet, takes '+' and '/' for '-' and '_', and ignores '=' and the bits
 * past the last byte: altered stored values (a character added, swapped or changed) would open
 * as if untouched.
 */
function strictBase64url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text)) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

function associatedData(handle: string, part: SealedPart): Buffer {
  return Buffer.from(`sessionkit/1 ${part} ${handle}`);
}

/** True for a sealed part (what `KeyRing.seal` returns). */
export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX);
}

/** The key id a sealed part names, or undefined for a part in clear. */
export function sealedKeyId(text: string): string | undefined {
  return isSealed(text) ? text.slice(KEY_ID_AT, IV_AT) : undefined;
}

/**
 * The handles that may bind the sealed parts of the session whose key ends in `member` (a key's
 * suffix, an index member): the handle itself when it has a handle's shape, and the SHA-256 of
 * it, for a plain-id key (a plain id can have a handle's shape). Both name this very key, so
 * trying both accepts nothing copied from another session. Always the handle, whatever the key
 * layout: a record moved from its plain-id key to its hashed key (a read, `sessionkit migrate`)
 * still opens.
 */
export function handlesOfMember(member: string): string[] {
  return isHandle(member) ? [member, sessionHandle(member)] : [sessionHandle(member)];
}

/**
 * Opens a part when sealed, trying each handle `handlesOf` gives in turn; a clear part passes through. Sealed with
 * no key ring: corrupt (encryption was turned off while such records remain).
 */
export function openPart(ring: KeyRing | undefined, text: string, handlesOf: () => readonly string[], part: SealedPart): string {
  if (!isSealed(text)) return text;
  // Hashed only now: a store in clear, or a part in clear, pays no SHA-256 for it.
  const handles = handlesOf();
  if (!ring) {
    throw new CorruptSessionError(
      `stored session ${part} is encrypted (key id ${JSON.stringify(sealedKeyId(text))}) and this store has no encryptionKeys to decrypt it`,
    );
  }
  for (let i = 0; ; i++) {
    try {
      return ring.open(text, handles[i]!, part);
    } catch (error) {
      if (i + 1 >= handles.length) throw error;
    }
  }
}
