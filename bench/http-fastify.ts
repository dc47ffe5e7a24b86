/**
 * Comparison 2: Fastify 5 + @fastify/session with its defaults (rolling: true,
 * saveUninitialized: true, so every request with a session calls get + set; only `secure` is
 * turned off because the bench speaks plain HTTP).
 */
import type { Redis } from 'ioredis';
import type { BenchConfig } from './config.js';
import { compareHttp, type HttpComparison, type StoreSpec } from './http-compare.js';
import type { AppPool } from './http-load.js';

export const FASTIFY_STORES: StoreSpec[] = [
  { id: 'memory', label: 'MemoryStore (ceiling)' },
  { id: 'connect-redis8', label: 'connect-redis 8 (ioredis)' },
  { id: 'sessionkit', label: '@sessionkit/fastify (ioredis)' },
  { id: 'sessionkit-node-redis', label: '@sessionkit/fastify (node-redis)', optional: true },
];

export function benchFastify(redisUrl: string, monitor: Redis, config: BenchConfig, log: (line: string) => void, pool?: AppPool): Promise<HttpComparison> {
  return compareHttp({
    framework: 'fastify',
    stores: FASTIFY_STORES,
    paths: ['/read', '/write'],
    redisUrl,
    monitor,
    config,
    duration: config.duration,
    log,
    pool,
  });
}
