/**
 * What every bench app shares: the signing secret, the Redis clients, the listening server, and
 * the clean-ups run when the parent stops the app (see bench/app-server.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export { DAY_MS, fillLogin, type SessionBag } from '../session-data.js';

export const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

/** Run in order when the app stops: servers first (unshift), clients after (push). */
export const cleanups: (() => Promise<unknown> | unknown)[] = [];

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

/** Listens on a free loopback port with long keep-alive; returns the port. */
export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  server.keepAliveTimeout = 60_000;
  cleanups.unshift(() => new Promise((resolve) => server.close(resolve)));
  cleanups.unshift(() => server.closeAllConnections());
  return (server.address() as AddressInfo).port;
}
