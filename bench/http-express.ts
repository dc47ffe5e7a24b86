/**
 * Comparison 1: Express 5 + express-session (resave: false, saveUninitialized: false,
 * cookie maxAge 1 day), read path (session unchanged: express-session calls get + touch) and
 * write path (session modified: get + set).
 */
import type { Redis } from 'ioredis';
import type { BenchConfig } from './config.js';
import { compareHttp, type HttpComparison, type StoreSpec } from './http-compare.js';
import type { AppPool } from './http-load.js';

export const EXPRESS_STORES: StoreSpec[] = [
  { id: 'memory', label: 'MemoryStore (ceiling)' },
  { id: 'connect-redis9', label: 'connect-redis 9 (node-redis)' },
  { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)' },
  { id: 'sessionkit', label: '@sessionkit/express (ioredis)' },
  // Optional: runs once core's client seam accepts node-redis, is listed as not run before.
  { id: 'sessionkit-node-redis', label: '@sessionkit/express (node-redis)', optional: true },
  // The same store without touch throttling: what a request costs when its touch is due.
  { id: 'sessionkit-touch0', label: '@sessionkit/express, touchAfter: 0', paths: ['/read'] },
];

export function benchExpress(redisUrl: string, monitor: Redis, config: BenchConfig, log: (line: string) => void, pool?: AppPool): Promise<HttpComparison> {
  return compareHttp({
    framework: 'express',
    stores: EXPRESS_STORES,
    paths: ['/read', '/write'],
    redisUrl,
    monitor,
    config,
    duration: config.duration,
    log,
    pool,
  });
}
