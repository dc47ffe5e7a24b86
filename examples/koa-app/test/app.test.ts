import { defineAppSuites } from '../../shared/test/app.js';
import { Agent, startInstance, useRedis } from './helpers.js';

const redis = useRedis();

defineAppSuites({
  name: 'Koa',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { trustProxy: true }),
});
