import { defineAppSuites } from '../../shared/test/app.js';
import { Agent, startInstance, useRedis } from './helpers.js';

const redis = useRedis();

defineAppSuites({
  name: 'Fastify',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { trustProxy: '127.0.0.1' }),
});
