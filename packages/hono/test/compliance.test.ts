import { runStoreCompliance, underBun } from '@sessionkit/testing';
import { sessionKit } from '@sessionkit/hono';
import { complianceTarget, SECRET, storeClient, useRedis } from './helpers.js';

const redis = useRedis();

runStoreCompliance(`@sessionkit/hono (as the middleware calls its engine), on ${underBun ? "Bun's RedisClient" : 'ioredis'}`, async () =>
  complianceTarget(sessionKit({ client: await storeClient(redis), secret: SECRET, touchAfter: 0 })),
);
