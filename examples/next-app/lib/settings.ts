import type { RedisClient } from '@sessionkit/core';

/** What src/server.ts hands the app in this process: the Redis client it connected, the secrets, the proxy setting. */
export interface AppSettings {
  client: RedisClient;
  secrets: string[];
  /** Believe X-Forwarded-Proto and -For (only when every request comes through a TLS-terminating proxy). */
  trustProxy: boolean;
  /** The client's state as last seen, for /health. */
  redisStatus(): string;
}

export const SETTINGS = Symbol.for('sessionkit.example.next.settings');

/** The settings src/server.ts put on globalThis before Next served its first request. */
export function settings(): AppSettings {
  const found = (globalThis as { [SETTINGS]?: AppSettings })[SETTINGS];
  if (!found) throw new Error('the app runs under src/server.ts (npm run example:next), which hands it the Redis client');
  return found;
}
