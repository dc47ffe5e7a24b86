import type { Redis, RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort } from './redis-server.js';
import { makeTlsFiles, tlsServerArgs, type TlsFiles } from './tls.js';
import { useRedis } from './use-redis.js';
import type { NodeRedisSingle, NodeRedisVariant } from './node-redis.js';
import type { BunClient } from './bun.js';

/**
 * `useRedis` with a TLS listener: a fresh CA and server certificate made in `beforeAll`, and a
 * factory of ioredis clients that speak TLS to it and trust that CA. The certificate files are
 * removed in `afterAll`, after the server has stopped.
 */
export function useRedisTls() {
  let files: TlsFiles | undefined;
  let tlsPort = 0;
  // Filled in before the server starts: these hooks are registered before useRedis's, and
  // vitest runs beforeAll hooks in that order and afterAll hooks in the reverse.
  const args: string[] = [];
  beforeAll(async () => {
    files = makeTlsFiles();
    tlsPort = await freePort();
    args.push(...tlsServerArgs(files, tlsPort));
  });
  afterAll(() => files?.dispose());
  const redis = useRedis(args);

  const started = (what: string): TlsFiles => {
    if (!files) throw new Error(`useRedisTls: ${what} was used before the server started (use it from a hook or a test)`);
    return files;
  };
  return {
    /** The TLS port. */
    get port(): number {
      started('port');
      return tlsPort;
    },
    /** `rediss://127.0.0.1:<tls port>`: a client needs the CA (`files.caFile`) to trust it. */
    get url(): string {
      started('url');
      return `rediss://127.0.0.1:${tlsPort}`;
    },
    get files(): TlsFiles {
      return started('files');
    },
    /** The server process; its `port` is the plain one, for admin commands in tests. */
    server: redis.server,
    /** A TLS client that trusts the test CA; `options` override (a `tls` of your own replaces it). */
    client(options: RedisOptions = {}): Redis {
      return redis.client({ port: tlsPort, tls: { ca: started('client()').ca }, ...options });
    },
    /** A connected node-redis client that speaks TLS to the server and trusts the test CA. */
    nodeRedis(variant: NodeRedisVariant): Promise<NodeRedisSingle> {
      const ca = started('nodeRedis()').ca;
      return redis.nodeRedis(variant, { socket: { host: '127.0.0.1', port: tlsPort, tls: true, ca } });
    },
    /** A connected Bun `RedisClient` on `rediss://` that trusts the test CA (only when the tests run on Bun). */
    bun(): Promise<BunClient> {
      const ca = started('bun()').ca;
      return redis.bun({ tls: { ca } }, `rediss://127.0.0.1:${tlsPort}`);
    },
  };
}
