import { nodeRedisVariants, runStoreCompliance, useRedis } from '@sessionkit/testing';
import { complianceTarget, flavours, makeStorage } from './helpers.js';

/** @sessionkit/react-router on a node-redis client: the shared compliance suite on both majors, through React Router 7. */

const redis = useRedis();
const [reactRouter] = flavours;

for (const variant of nodeRedisVariants) {
  runStoreCompliance(`@sessionkit/react-router on ${variant.name}`, async () =>
    complianceTarget(
      reactRouter!,
      makeStorage(reactRouter!, { client: (await redis.nodeRedis(variant)) as never, prefix: `nr${variant.major}:`, touchAfter: 0 }),
    ),
  );
}
