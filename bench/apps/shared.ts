/**
 * What every bench app shares: the signing secret, the Redis clients, the listening server, and
 * the clean-ups run when the parent stops the app (see bench/app-server.ts).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

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

/** The id suffix of a row that runs the adapter of the baseline checkout (see `adapter`). */
export const BASELINE = '@baseline';

/**
 * The adapter package `@sessionkit/<name>` a store row runs: this checkout's, or, for a row whose
 * id ends in `@baseline`, the built package of the checkout named by BENCH_BASELINE. One run then
 * measures a change beside what it replaces, in the same rounds (see docs/benchmarks.md, "An A/B
 * of a change").
 */
export async function adapter<T>(name: string, store: string): Promise<T> {
  if (!store.endsWith(BASELINE)) return (await import(`@sessionkit/${name}`)) as T;
  const checkout = process.env.BENCH_BASELINE;
  if (!checkout) throw new Error(`store ${store} needs BENCH_BASELINE: the directory of a built checkout to compare with`);
  return (await import(pathToFileURL(resolve(checkout, 'packages', name, 'dist', 'index.js')).href)) as T;
}
