/**
 * Who owns a session connect-redis wrote, found in its JSON the way the stores find it in a
 * session: `session.userId`, then `session.user.id` (FrameworkStore's default `userId` option),
 * or at a dotted path given with `--user-field`.
 */

export function parseSession(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function asOwner(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function defaultOwner(session: Record<string, unknown>): string | undefined {
  const direct = asOwner(session.userId);
  if (direct !== undefined) return direct;
  const user = session.user;
  return user && typeof user === 'object' ? asOwner((user as { id?: unknown }).id) : undefined;
}

export function ownerAt(session: Record<string, unknown>, path: readonly string[]): string | undefined {
  let value: unknown = session;
  for (const part of path) {
    if (!value || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return asOwner(value);
}
