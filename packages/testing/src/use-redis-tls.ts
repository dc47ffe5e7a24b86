import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { freePort, RedisServer } from './redis-server.js';
import { makeTlsFiles, tlsServerArgs, type TlsFiles } from './tls.js';

/**
 * One real redis-server with a TLS listener for a test file (a fresh CA and server certificate,
 * made in `beforeAll`), and a factory of ioredis clients that speak TLS to it and trust that CA.
 * Everything is stopped and removed in `afterAll`.
 */
export function useRedisTls() {
  let files: TlsFiles | undefined;
  let server: RedisServer | undefined;
  let tlsPort = 0;
  const clients: Redis[] = [];
  const started = (what: string) => {
    if (!files || !server) throw new Error(`useRedisTls: ${what} was used before the server started (use it from a hook or a test)`);
    return { files, server };
  };
  beforeAll(async () => {
    files = makeTlsFiles();
    tlsPort = await freePort();
    server = new RedisServer({ args: tlsServerArgs(files, tlsPort) });
    await server.start();
  });
  afterAll(async () => {
    try {
      await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
      await server?.dispose();
    } finally {
      files?.dispose(); // the CA and server keys are removed, whatever failed above
    }
  });
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
      return started('files').files;
    },
    /** The server process; its `port` is the plain one, for admin commands in tests. */
    get server(): RedisServer {
      return started('server').server;
    },
    /** A TLS client that trusts the test CA; `options` override (a `tls` of your own replaces it). */
    client(options: RedisOptions = {}): Redis {
      const { files: f } = started('client()');
      const client = new Redis({ host: '127.0.0.1', port: tlsPort, tls: { ca: f.ca }, ...options });
      clients.push(client);
      return client;
    },
  };
}
