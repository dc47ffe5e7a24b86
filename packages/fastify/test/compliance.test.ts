import { RedisStore } from '@sessionkit/fastify';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { complianceTarget, useRedis } from './helpers.js';

const redis = useRedis();

runStoreCompliance('@sessionkit/fastify RedisStore (callback API)', async () =>
  complianceTarget(new RedisStore<TestSession>({ client: redis.client(), touchAfter: 0 })),
);
