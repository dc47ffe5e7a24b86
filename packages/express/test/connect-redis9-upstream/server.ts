import { RedisServer } from '@sessionkit/testing';

/**
 * Stands in for connect-redis's `testdata/server.ts`, which its npm package does not ship: the
 * same three exports (`port`, `connect`, `disconnect`), on a real redis-server started by
 * @sessionkit/testing (a free port, stopped even if the test process dies).
 */
const server = new RedisServer();

export let port = 0;

export async function connect(): Promise<void> {
  await server.start();
  port = server.port;
}

export async function disconnect(): Promise<void> {
  await server.dispose();
}
