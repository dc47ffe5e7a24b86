import { SessionKitError } from './errors.js';

/** What a `userId` finder may return: the owner's id, or nothing for an anonymous session. */
export type OwnerId = string | number | null | undefined;

const isId = (value: unknown): value is string | number => typeof value === 'string' || typeof value === 'number';

/**
 * The default `userId` finder: the places apps put the signed-in user, in this order.
 *
 * - `session.userId`: what our docs and examples write;
 * - `session.user.id`: apps that keep a user object in the session;
 * - `session.passport.user`: Passport's `req.login()` stores what `serializeUser` hands it there,
 *   usually the user's id. Without this, a Passport app's sessions would all be anonymous, and
 *   `invalidateAllUserSessions` would find none of them, with no sign of why.
 *
 * Anything else is an anonymous session: the session's other fields are the app's business, and
 * a shape we do not know is not an error here (a custom finder's result is, see `checkedOwner`).
 */
export function defaultOwner(session: unknown): string | number | undefined {
  if (!session || typeof session !== 'object') return undefined;
  const s = session as { userId?: unknown; user?: unknown; passport?: unknown };
  if (isId(s.userId)) return s.userId;
  const user = s.user as { id?: unknown } | null | undefined;
  if (user && typeof user === 'object' && isId(user.id)) return user.id;
  const passport = s.passport as { user?: unknown } | null | undefined;
  if (passport && typeof passport === 'object' && isId(passport.user)) return passport.user;
  return undefined;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/**
 * The owner as the store keys it: a string, or undefined for an anonymous session.
 *
 * A finder that returns something else (a user object, `{ id: 7 }`, a boolean) is a bug in the
 * app's configuration. Storing the session as anonymous would hide it until a logout-everywhere
 * misses the user's sessions, so the save fails instead, on the first one, with a message that
 * says what to return. The value itself is not quoted: it is the app's user data.
 */
export function checkedOwner(found: unknown): string | undefined {
  if (found === undefined || found === null || found === '') return undefined;
  if (isId(found)) return String(found);
  throw new SessionKitError(
    'ERR_INVALID_USER_ID',
    `the userId option returned ${describe(found)}; it must return the owner's id as a string or a number ` +
      '(for example (s) => s.user?.id), or null or undefined for a session without an owner',
  );
}
