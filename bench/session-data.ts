/** Session ids and the session a login creates, shaped as the HTTP apps store them. */
import { randomBytes } from 'node:crypto';

export type SessionBag = Record<string, unknown> & { userId?: string; counter?: number };

export const DAY_MS = 86_400_000;

/** As express-session's default generator (uid-safe, 24 bytes): 32 URL-safe characters. */
export function sessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** What every app's /login puts in the session: an owner, a small profile and a CSRF token. */
export function fillLogin(session: SessionBag, u: string): void {
  session.userId = `user-${u}`;
  session.profile = { name: `User ${u}`, email: `user${u}@example.com`, roles: ['member'] };
  session.csrf = randomBytes(18).toString('base64url');
  session.counter = 0;
}

/** What express-session hands a store after a login in bench/app-server.ts. */
export function loginSession(user: string | number, maxAgeMs = DAY_MS): SessionBag {
  const session: SessionBag = { cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs).toISOString(), httpOnly: true, path: '/' } };
  fillLogin(session, String(user));
  return session;
}
