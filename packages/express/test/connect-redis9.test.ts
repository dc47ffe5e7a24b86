import { RedisStore as ConnectRedis9Store } from 'connect-redis9';
import { describeSwitchFromConnectRedis } from './connect-redis-switch.js';

// connect-redis 9 (Node 20 and later) is a dev dependency: this runs in every `npm test`.
describeSwitchFromConnectRedis(9, async () => (opts) => new ConnectRedis9Store(opts));
