import * as core from '@sessionkit/core';
import type { SessionStore } from '@sessionkit/core';

/**
 * The two pieces of @sessionkit/core the CLI needs that are being added to it (the string
 * record format and `indexLegacySession`). Until they are exported, this file stands in for
 * them; it prefers the core's own as soon as they exist, and is the one file to change (to plain
 * imports) once they have landed.
 *
 * TODO(core): replace the fallbacks with
 *   `export { inspectStoredValue } from '@sessionkit/core'` and a direct
 *   `store.indexLegacySession(id, userId)` call.
 */

export interface StoredValueInfo {
  kind: 'record' | 'tombstone' | 'legacy' | 'unknown';
  userId?: string;
  createdAt?: number;
  expiresAt?: number;
  lastSeenAt?: number;
  absoluteExpiresAt?: number;
}

export type IndexLegacyResult = 'indexed' | 'already' | 'not-legacy' | 'missing';

const TOMBSTONE_PREFIX = '!sessionkit-revoked:';

/** Temporary: tombstones by their prefix, a JSON object as connect-redis's, the rest unknown. */
function localInspectStoredValue(text: string): StoredValueInfo {
  if (text.startsWith(TOMBSTONE_PREFIX)) return { kind: 'tombstone' };
  if (!text.startsWith('{')) return { kind: 'unknown' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { kind: 'unknown' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return { kind: 'unknown' };
  const info: StoredValueInfo = { kind: 'legacy' };
  const userId = defaultOwner(value as Record<string, unknown>);
  if (userId !== undefined) info.userId = userId;
  return info;
}

/** The stores' default owner lookup: `session.userId`, then `session.user.id`. */
function defaultOwner(session: Record<string, unknown>): string | undefined {
  const direct = session.userId;
  if (typeof direct === 'string' || typeof direct === 'number') return String(direct);
  const user = session.user as { id?: unknown } | null | undefined;
  if (user && typeof user === 'object' && (typeof user.id === 'string' || typeof user.id === 'number')) return String(user.id);
  return undefined;
}

const coreInspect = (core as { inspectStoredValue?: (text: string) => StoredValueInfo }).inspectStoredValue;

/** Classifies a raw string value read from a session key. */
export const inspectStoredValue: (text: string) => StoredValueInfo = coreInspect ?? localInspectStoredValue;

type WithIndexLegacy = { indexLegacySession?: (id: string, userId: string | number) => Promise<IndexLegacyResult> };

/** True once @sessionkit/core ships `SessionStore#indexLegacySession` (the migrate tests wait for it). */
export const coreHasIndexLegacySession =
  typeof (core.SessionStore.prototype as unknown as WithIndexLegacy).indexLegacySession === 'function';

/**
 * Adds a connect-redis-format session to its owner's index without rewriting its value, so that
 * connect-redis can still read it after a rollback, and logout-everywhere reaches it.
 */
export async function indexLegacySession(store: SessionStore, id: string, userId: string | number): Promise<IndexLegacyResult> {
  const method = (store as unknown as WithIndexLegacy).indexLegacySession;
  if (typeof method !== 'function') {
    throw new Error('indexing connect-redis sessions is not available yet: this @sessionkit/core has no SessionStore#indexLegacySession');
  }
  return method.call(store, id, userId);
}
