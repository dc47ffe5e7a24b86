import { FrameworkStore } from '@sessionkit/core/toolkit';
import { runStoreCompliance, type TestSession } from '@sessionkit/testing';
import { complianceTarget, useRedis } from './helpers.js';

const redis = useRedis();

runStoreCompliance('core FrameworkStore on a single node', async () =>
  complianceTarget(new FrameworkStore<TestSession>({ client: redis.client(), touchAfter: 0 })),
);
