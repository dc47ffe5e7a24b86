import { RedisStore } from '@sessionkit/koa';
import { runStoreCompliance } from '@sessionkit/testing';
import { complianceTarget, useRedis } from './helpers.js';

const redis = useRedis();

runStoreCompliance('@sessionkit/koa RedisStore (as koa-session calls it)', async () =>
  complianceTarget(new RedisStore({ client: redis.client(), touchAfter: 0 })),
);
