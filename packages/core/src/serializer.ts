import { SessionKitError } from './errors.js';

export interface Serializer {
  stringify(value: unknown): string;
  parse(text: string): unknown;
}

const DANGEROUS_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function dropDangerousKeys(this: unknown, key: string, value: unknown): unknown {
  return DANGEROUS_KEYS.has(key) ? undefined : value;
}

/**
 * JSON, minus keys that could rewrite prototypes when a framework copies the parsed object
 * onto its own (express-session's Session constructor does exactly that). The reviver costs
 * about 2x on parse, so it only runs when the text could contain such a key.
 */
export const safeJsonSerializer: Serializer = {
  stringify(value) {
    return JSON.stringify(value);
  },
  parse(text) {
    if (text.includes('__proto__') || text.includes('constructor') || text.includes('prototype')) {
      return JSON.parse(text, dropDangerousKeys);
    }
    return JSON.parse(text);
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
