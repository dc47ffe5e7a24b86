/**
 * What every bench app shares: the signing secret, the session a login creates, the Redis
 * clients, and the clean-ups run when the parent stops the app (see bench/app-server.ts).
 */
import { randomBytes } from 'node:crypto';

export type SessionBag = Record<string, unknown> & { userId?: string; counter?: number };

export const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';
export const DAY_MS = 86_400_000;

/** Run in order when the app stops: servers first (unshift), clients after (push). */
export const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** The signed-in session a login creates: an owner, a small profile and a CSRF token. */
export function fillLogin(session: SessionBag, u: string): void {
  session.userId = `user-${u}`;
  session.profile = { name: `User ${u}`, email: `user${u}@example.com`, roles: ['member'] };
  session.csrf = randomBytes(18).toString('base64url');
  session.counter = 0;
}

export async function nodeRedis(redisUrl: string) {
  const { createClient } = await import('redis');
  const client = createClient({ url: redisUrl });
  await client.connect();
  cleanups.push(() => client.quit());
  return client;
}

export async function ioredis(redisUrl: string) {
  const { Redis } = await import('ioredis');
  const client = new Redis(redisUrl, { lazyConnect: true });
  await client.connect();
  cleanups.push(() => client.quit());
  return client;
}
