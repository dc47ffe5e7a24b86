import { createHash, timingSafeEqual } from 'node:crypto';

/** A demo account. Real apps load users from a database and hash passwords with scrypt/argon2. */
export interface DemoUser {
  id: string;
  username: string;
  name: string;
}

/** Everyone's password is "password": it is printed on the sign-in page. */
export const DEMO_PASSWORD = 'password';

export const users: readonly DemoUser[] = Object.freeze([
  { id: 'user-alice', username: 'alice', name: 'Alice Liddell' },
  { id: 'user-bob', username: 'bob', name: 'Bob Marley' },
]);

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** The user with this username and password, or null. Compares in constant time. */
export function authenticate(username: unknown, password: unknown): DemoUser | null {
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const user = users.find((u) => u.username === username.trim().toLowerCase());
  const ok = timingSafeEqual(digest(password), digest(DEMO_PASSWORD));
  return user && ok ? user : null;
}

export function findUser(id: unknown): DemoUser | null {
  return typeof id === 'string' ? (users.find((u) => u.id === id) ?? null) : null;
}
