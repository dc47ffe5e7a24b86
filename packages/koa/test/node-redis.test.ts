import { RedisStore } from '@sessionkit/koa';
import { nodeRedisVariants, runStoreCompliance } from '@sessionkit/testing';
import { complianceTarget, useRedis } from './helpers.js';

/** @sessionkit/koa on a node-redis client: the shared compliance suite on both majors. */

const redis = useRedis();

for (const variant of nodeRedisVariants) {
  runStoreCompliance(`@sessionkit/koa RedisStore on ${variant.name}`, async () =>
    complianceTarget(new RedisStore({ client: (await redis.nodeRedis(variant)) as never, prefix: `nr${variant.major}:`, touchAfter: 0 })),
  );
}
