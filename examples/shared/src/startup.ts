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
