/** Session ids and session objects shaped like the ones the HTTP apps store. */
import { randomBytes } from 'node:crypto';

/** As express-session's default generator (uid-safe, 24 bytes): 32 URL-safe characters. */
export function sessionId(): string {
  return randomBytes(24).toString('base64url');
}

/** What express-session hands a store after a login in bench/app-server.ts. */
export function loginSession(user: string | number, maxAgeMs = 86_400_000): Record<string, unknown> {
  return {
    cookie: { originalMaxAge: maxAgeMs, expires: new Date(Date.now() + maxAgeMs).toISOString(), httpOnly: true, path: '/' },
    userId: `user-${user}`,
    profile: { name: `User ${user}`, email: `user${user}@example.com`, roles: ['member'] },
    csrf: randomBytes(18).toString('base64url'),
    counter: 0,
  };
}

/** Node-style callback API -> promise. */
export function call<T = unknown>(fn: (cb: (err: unknown, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => fn((err, value) => (err ? reject(err) : resolve(value as T))));
}
