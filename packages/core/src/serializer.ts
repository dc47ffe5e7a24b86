import { SessionKitError } from './errors.js';

export interface Serializer {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

const DANGEROUS_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/**
 * True when `text` may hold a dangerous key: spelled out, or written with JSON escapes
 * (`"\u005f_proto__"` is the key `__proto__`), which is why any `\u` counts. JSON.stringify
 * writes `\u` only for control characters and lone surrogates, so ordinary sessions skip the walk.
 */
function mayHoldDangerousKey(text: string): boolean {
  return text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype');
}

/**
 * Deletes the dangerous keys from every object in a freshly parsed JSON value, at any depth.
 * JSON.parse makes `__proto__` an own data property (it never sets a prototype), so deleting the
 * own key is enough. An explicit stack, not recursion: JSON.parse reads nesting of any depth, and
 * a reviver (recursive in V8) overflows the call stack at a few thousand levels, which made such
 * sessions unreadable although they had been written.
 */
function dropDangerousKeys(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== null && typeof item === 'object') stack.push(item);
      continue;
    }
    const object = value as Record<string, unknown>;
    for (const key of DANGEROUS_KEYS) if (Object.hasOwn(object, key)) delete object[key];
    for (const key in object) {
      const item = object[key];
      if (item !== null && typeof item === 'object') stack.push(item);
    }
  }
}

/**
 * JSON, minus keys that could rewrite prototypes when a framework copies the parsed object
 * onto its own (express-session's Session constructor does exactly that): `__proto__`,
 * `constructor` and `prototype` are dropped at every depth, however the text spells them. The
 * walk costs about as much as the parse, so it only runs when the text could contain such a key.
 */
export const safeJsonSerializer: Serializer = {
  stringify(value) {
    return JSON.stringify(value);
  },
  parse(text) {
    const value: unknown = JSON.parse(text);
    if (mayHoldDangerousKey(text)) dropDangerousKeys(value);
    return value;
  },
};

export function serialize(serializer: Serializer, value: unknown, maxBytes: number): string {
  let text: unknown;
  try {
    text = serializer.stringify(value);
  } catch (cause) {
    throw new SessionKitError('ERR_SERIALIZE', `session data cannot be serialized: ${(cause as Error).message}`, { cause });
  }
  if (typeof text !== 'string') {
    throw new SessionKitError('ERR_SERIALIZE', `session data cannot be serialized: the serializer returned ${typeof text}, not a string`);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxBytes) {
    throw new SessionKitError('ERR_PAYLOAD_TOO_LARGE', `session data is ${bytes} bytes, over maxPayloadBytes (${maxBytes})`);
  }
  return text;
}
