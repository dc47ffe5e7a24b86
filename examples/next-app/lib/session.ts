import { headers } from 'next/headers';
import { createSessionKit } from '@sessionkit/next';
import type { DeviceMeta } from '@sessionkit/example-shared/views';
import { settings } from './settings';

/** What this app keeps in a session. */
export interface AppSession {
  userId?: string;
  /** Browser and IP at sign-in, shown on the Active sessions page (see `meta`). */
  device?: DeviceMeta;
  [key: string]: unknown;
}

/**
 * The app's sessions: in Redis through @sessionkit/next, so any number of instances serve the
 * same users. Built on the first request (src/server.ts hands over the Redis client and secrets).
 */
export const sessions = createSessionKit<AppSession>({
  client: () => settings().client,
  // The first signs, all verify (SESSION_SECRET, comma-separated, for rotation).
  secrets: () => settings().secrets,
  // Owner of each session (the default reads data.userId too; explicit here for clarity).
  userId: (data) => data.userId,
  meta: (data) => (data.device ? { ...data.device } : undefined),
  ttl: 7 * 24 * 3600, // idle timeout: a week after the last save
  absoluteTimeout: 30 * 24 * 3600 * 1000, // however active, 30 days after sign-in (OWASP ASVS 7.3.2)
  // Secure over HTTPS: behind a proxy the app trusts (TRUST_PROXY), from X-Forwarded-Proto; plain on http://localhost.
  cookie: { secure: async () => settings().trustProxy && (await headers()).get('x-forwarded-proto') === 'https' },
});
