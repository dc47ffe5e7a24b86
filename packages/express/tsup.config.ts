import { libraryConfig } from '../../tsup.base.js';

// Peers and core stay imports: one copy of express-session's Store and of the Lua scripts.
export default libraryConfig({ external: ['@sessionkit/core', 'express-session', 'ioredis', 'redis'] });
