import { SessionKitError } from './errors.js';
import { normalizeUserId } from './keys.js';

/** What a `userId` finder may return: the owner's id, or nothing for an anonymous session. */
export type OwnerId = string | number | null | undefined;

/**
 * What the default finder takes for an id: a non-empty string or a finite number. NaN and
 * Infinity are numbers, but no user's id (they come from a failed conversion such as
 * `Number('')`), and JSON stores them as null: they would index unrelated sessions under the one
 * user "NaN".
 */
const isOwnerId = (value: unknown): value is string | number =>
  (typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value));

/** Where the default finder looks, in this order (see `defaultOwner`). */
export const DEFAULT_OWNER_PATHS: readonly (readonly string[])[] = [['userId'], ['user', 'id'], ['passport', 'user']];

/**
 * The id at `path` in a session (`['passport', 'user']` is `session.passport.user`), or undefined
 * when there is none there or what is there is not an id. The callers' paths never name
 * `__proto__`, `constructor` or `prototype` (the CLI refuses them in `--user-field`).
 */
export function ownerAt(session: unknown, path: readonly string[]): string | number | undefined {
  let value: unknown = session;
  for (const part of path) {
    if (!value || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return isOwnerId(value) ? value : undefined;
}

/**
 * The default `userId` finder, the one every SessionKit store and `sessionkit migrate` use: the
 * places apps put the signed-in user, in this order.
 *
 * - `session.userId`: what our docs and examples write;
 * - `session.user.id`: apps that keep a user object in the session;
 * - `session.passport.user`: Passport's `req.login()` stores what `serializeUser` hands it there,
 *   usually the user's id. Without this, a Passport app's sessions would all be anonymous, and
 *   `invalidateAllUserSessions` would find none of them, with no sign of why.
 *
 * The first place that holds an id (a non-empty string or a finite number) wins. Anything else is
 * an anonymous session: the session's other fields are the app's business, and a shape we do not
 * know is not an error here (a custom finder's result is, see `checkedOwner`).
 */
export function defaultOwner(session: unknown): string | number | undefined {
  for (const path of DEFAULT_OWNER_PATHS) {
    const owner = ownerAt(session, path);
    if (owner !== undefined) return owner;
  }
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * The owner as the store keys it: a string, or undefined for an anonymous session. Every adapter
 * passes what its finder returned through here, so that they all accept and refuse the same ids
 * as the core store does (`ERR_INVALID_USER_ID`).
 *
 * A finder that returns something else (a user object, `{ id: 7 }`, a boolean, NaN) is a bug in
 * the app's configuration. Storing the session as anonymous would hide it until a
 * logout-everywhere misses the user's sessions, so the save fails instead, on the first one, with
 * a message that says what to return. The value itself is not quoted: it is the app's user data.
 */
export function checkedOwner(found: unknown): string | undefined {
  if (found === undefined || found === null || found === '') return undefined;
  if (typeof found === 'number' && !Number.isFinite(found)) {
    throw new SessionKitError(
      'ERR_INVALID_USER_ID',
      `the userId option returned ${String(found)}; a user id must be a string or a finite number ` +
        '(NaN and Infinity would put unrelated sessions under one user), or null or undefined for a session without an owner',
    );
  }
  if (typeof found === 'string' || typeof found === 'number') return normalizeUserId(found);
  throw new SessionKitError(
    'ERR_INVALID_USER_ID',
    `the userId option returned ${describe(found)}; it must return the owner's id as a string or a number ` +
      '(for example (s) => s.user?.id), or null or undefined for a session without an owner',
  );
}
