import { Redis } from 'ioredis';
import { redisClientOptions } from '@sessionkit/example-shared';
import { serve } from '../src/server.js';

/**
 * One instance of the example for the tests (helpers.ts spawns it): src/server.ts as main.ts
 * runs it, on REDIS_URL with the ioredis options the test gives in SESSIONKIT_TEST_CLIENT_OPTIONS
 * (a short commandTimeout, say), on a free loopback port it prints.
 */
const client = new Redis(process.env.REDIS_URL!, { ...redisClientOptions, ...JSON.parse(process.env.SESSIONKIT_TEST_CLIENT_OPTIONS ?? '{}') });
const { server } = await serve({
  client,
  secrets: [process.env.SESSION_SECRET!],
  trustProxy: process.env.TRUST_PROXY === 'true',
  port: 0,
  host: '127.0.0.1',
});
console.log(`listening on http://127.0.0.1:${(server.address() as { port: number }).port}`);
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => client.quit().finally(() => process.exit(0)));
});
