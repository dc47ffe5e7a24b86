import { Redis } from 'ioredis';
import { RedisServer, runStoreCompliance } from '@sessionkit/testing';
import { afterAll, beforeAll } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { complianceTarget } from './helpers.js';

const server = new RedisServer();
let client: Redis;

beforeAll(async () => {
  await server.start();
});
afterAll(async () => {
  await client?.quit().catch(() => client.disconnect());
  await server.dispose();
});

runStoreCompliance('@sessionkit/express RedisStore (callback API, promisified)', async () => {
  client = new Redis({ host: server.host, port: server.port });
  return complianceTarget(new RedisStore({ client, touchAfter: 0 }));
});
