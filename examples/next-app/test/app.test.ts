import { beforeAll } from 'vitest';
import { defineAppSuites } from '../../shared/test/app.js';
import { Agent, buildApp, startInstance, useRedis } from './helpers.js';

const redis = useRedis();
beforeAll(buildApp, 240_000);

defineAppSuites({
  name: 'Next.js',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { TRUST_PROXY: 'true' }),
});
