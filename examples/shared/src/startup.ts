import { randomBytes } from 'node:crypto';
import { KeyRing } from '@sessionkit/core';
import { connectRedis, type ConnectRedisOptions, type RedisConnection } from './redis.js';

/**
 * Start-up failures of the example apps: a missing redis-server, a Redis that does not answer, a
 * port in use. Each is the user's set-up, not a bug in the app, so it ends the process with one
 * line saying what is wrong and what to do, and exit code 1: no uncaught-exception frame, no
 * stack trace.
 */
export function exitOnStartupError(message: string): never {
  console.error(`Cannot start: ${message}`);
  process.exit(1);
}

/** connectRedis, or exit with its one-line reason. */
export async function connectRedisOrExit(options?: ConnectRedisOptions): Promise<RedisConnection> {
  try {
    return await connectRedis(options);
  } catch (error) {
    return exitOnStartupError((error as Error).message);
  }
}

/** What a `listen` error means for someone who ran `npm run example:*`, naming PORT or HOST. */
export function listenErrorMessage(error: Error, port: number, host: string | undefined): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') {
    return `port ${port} is in use (EADDRINUSE): stop what listens on it, or set PORT to a free port (e.g. PORT=${port + 10}).`;
  }
  if (code === 'EACCES') return `port ${port} needs privileges this process lacks (EACCES): set PORT to a port above 1023.`;
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return `HOST=${host} is not an address of this machine (${code}): unset HOST to listen on all interfaces, or set it to one of this machine's addresses.`;
  }
  return `listening on port ${port} failed: ${error.message}`;
}

/**
 * SESSION_SECRET as given, or a random one with a warning: the app still starts for a first try,
 * and says why sessions will not survive a restart or be shared between instances.
 */
export function sessionSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SESSION_SECRET) return env.SESSION_SECRET;
  console.warn(
    'SESSION_SECRET is not set: using a random one. Sessions will not survive a restart, and other\n' +
      "instances (with their own random secret) will not accept this one's cookies. Set SESSION_SECRET.",
  );
  return randomBytes(32).toString('hex');
}

/**
 * SESSION_ENCRYPTION_KEYS as the stores' `encryptionKeys`: comma-separated base64 32-byte keys
 * (`openssl rand -base64 32`), the first one current, every one readable (docs/operations.md).
 * Unset or empty: undefined, and sessions are stored in clear. A malformed key ends the process
 * with the reason, which names the key by its place, never by its value.
 */
export function encryptionKeysFromEnv(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const keys = (env.SESSION_ENCRYPTION_KEYS ?? '')
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (keys.length === 0) return undefined;
  try {
    new KeyRing(keys, 'SESSION_ENCRYPTION_KEYS');
  } catch (error) {
    return exitOnStartupError((error as Error).message);
  }
  return keys;
}

/**
 * On SIGINT or SIGTERM: stop serving (`stopServer`), close Redis, exit 0; once only, and exit 1
 * after 5 s whatever is still open (keep-alive clients must not hold the process up).
 */
export function stopOnSignals(stopServer: () => Promise<unknown>, redis: Pick<RedisConnection, 'close'>): void {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    setTimeout(() => process.exit(1), 5000).unref();
    await stopServer();
    await redis.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

/** A node:http server's close, idle keep-alive connections first. */
export function closeHttpServer(server: import('node:http').Server): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      server.closeIdleConnections();
      server.close(() => resolve());
    });
}
