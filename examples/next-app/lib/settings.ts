import type { AsyncLocalStorage } from 'node:async_hooks';
import type { RedisClient } from '@sessionkit/core';
import type { SessionKit } from '@sessionkit/next';
import type { AppSession } from './app-session';

/**
 * What src/server.ts hands the app for each request: the Redis client it connected, the secrets,
 * the proxy setting, the encryption keys. One object per `serve()` call.
 */
export interface AppSettings {
  client: RedisClient;
  secrets: string[];
  /** Believe X-Forwarded-Proto and -For (only when every request comes through a TLS-terminating proxy). */
  trustProxy: boolean;
  /** However active, a session ends this long after sign-in, in milliseconds. */
  absoluteTimeout: number;
  /** Encrypt sessions at rest with these keys, the first current (SESSION_ENCRYPTION_KEYS); undefined: in clear. */
  encryptionKeys: readonly string[] | undefined;
  /** The client's state as last seen, for /health. */
  redisStatus(): string;
  /** The sessions of this server: built by lib/session.ts on first use, then kept here. */
  sessionKit?: SessionKit<AppSession>;
}

/** Where src/server.ts puts the AsyncLocalStorage each request runs in (on globalThis: the app's bundle and the server are separate module graphs). */
export const SETTINGS = Symbol.for('sessionkit.example.next.settings');

/**
 * The settings of the server answering this request. Per request rather than one global object,
 * so that one process can serve several differently-configured instances (the tests do).
 */
export function settings(): AppSettings {
  const found = (globalThis as { [SETTINGS]?: AsyncLocalStorage<AppSettings> })[SETTINGS]?.getStore();
  if (!found) throw new Error('the app runs under src/server.ts (npm run example:next), which hands it the Redis client');
  return found;
}
