import { headers } from 'next/headers';
import { createSessionKit, type SessionKit } from '@sessionkit/next';
import type { AppSession } from './app-session';
import { type AppSettings, settings } from './settings';

export type { AppSession } from './app-session';

/**
 * The sessions of the server answering this request: in Redis through @sessionkit/next, so any
 * number of instances serve the same users. One kit per server (src/server.ts hands over the
 * Redis client and secrets), built on its first request.
 */
export function sessions(): SessionKit<AppSession> {
  const current = settings();
  current.sessionKit ??= sessionKit(current);
  return current.sessionKit;
}

function sessionKit(server: AppSettings): SessionKit<AppSession> {
  return createSessionKit<AppSession>({
    client: server.client,
    // The first signs, all verify (SESSION_SECRET, comma-separated, for rotation).
    secrets: server.secrets,
    // Data and device details encrypted at rest when SESSION_ENCRYPTION_KEYS is set (src/main.ts).
    ...(server.encryptionKeys ? { encryptionKeys: server.encryptionKeys } : {}),
    // Owner of each session (the default reads data.userId too; explicit here for clarity).
    userId: (data) => data.userId,
    meta: (data) => (data.device ? { ...data.device } : undefined),
    ttl: 7 * 24 * 3600, // idle timeout: a week after the last save
    absoluteTimeout: server.absoluteTimeout, // however active, 30 days after sign-in by default (OWASP ASVS 7.3.2)
    // Secure over HTTPS: behind a proxy the app trusts (TRUST_PROXY), from X-Forwarded-Proto; plain on http://localhost.
    cookie: { secure: async () => server.trustProxy && (await headers()).get('x-forwarded-proto') === 'https' },
  });
}
