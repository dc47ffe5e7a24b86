import { libraryConfig } from '../../tsup.base.js';

// Peers and core stay imports: one copy of Hono's cookie helpers and of the Lua scripts.
export default libraryConfig({ external: ['@sessionkit/core', 'hono', 'ioredis', 'redis'] });
