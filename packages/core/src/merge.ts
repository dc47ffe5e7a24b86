import type { Serializer } from './serializer.js';

/**
 * Concurrent saves of one session keep each other's changes: a save writes only the top-level
 * keys its request changed relative to what it loaded (set, replaced or deleted). A key is
 * compared by its JSON form, which is what the framework stores (a Date and its ISO string are
 * the same value), never deep-merged: when two requests change the same key, the later save of
 * that key wins. `cookie` always follows the latest save.
 */
export interface Changes {
  /** Keys this save sets (their new values) or deletes (undefined). */
  readonly keys: ReadonlyMap<string, unknown>;
}

type Plain = Record<string, unknown>;

function isPlain(value: unknown): value is Plain {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What `next` changed relative to the data it was loaded from (`baseText`, as stored). */
export function changesSince(baseText: string, serializer: Serializer, next: unknown): Changes {
  const base = serializer.parse(baseText);
  const keys = new Map<string, unknown>();
  const before: Plain = isPlain(base) ? base : {};
  const after: Plain = isPlain(next) ? next : {};
  for (const key of Object.keys(after)) {
    if (key === 'cookie' || !Object.hasOwn(before, key) || !same(after[key], before[key])) keys.set(key, after[key]);
  }
  for (const key of Object.keys(before)) {
    if (!Object.hasOwn(after, key)) keys.set(key, undefined);
  }
  return { keys };
}

/** The stored data with this save's changes applied on top: a new object, `current` untouched. */
export function applyChanges<T>(current: unknown, changes: Changes): T {
  const merged: Plain = isPlain(current) ? { ...current } : {};
  for (const [key, value] of changes.keys) {
    if (value === undefined) delete merged[key];
    else merged[key] = value;
  }
  return merged as T;
}
