import type { Store } from 'express-session';
import type { NodeRedisSingle } from '@sessionkit/testing';
import { describeSwitchFromConnectRedis } from './connect-redis-switch.js';

// connect-redis 10 needs Node 22, so it is not a dev dependency (`npm ci` on Node 20 would warn
// and the store would not run): `npm run test:node-matrix` installs it under .tmp and aliases
// `connect-redis10` to it (vitest.workspace.ts). Without that alias, as in `npm test` on Node
// 20, these tests are skipped.
type ConnectRedis10 = { RedisStore: new (opts: { client: NodeRedisSingle; prefix: string }) => Store };
// A name in a variable, so that nothing resolves it unless the tests run.
const connectRedis10 = 'connect-redis10';

describeSwitchFromConnectRedis(
  10,
  async () => {
    const { RedisStore } = (await import(/* @vite-ignore */ connectRedis10)) as ConnectRedis10;
    return (opts) => new RedisStore(opts);
  },
  { skip: !process.env.SESSIONKIT_TEST_CONNECT_REDIS10 },
);
