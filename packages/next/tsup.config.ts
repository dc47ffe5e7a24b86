import { libraryConfig } from '../../tsup.base.js';

// Peers and core stay imports: Next's own `next/headers` (its request scope), one copy of the Lua scripts.
export default libraryConfig({ external: ['@sessionkit/core', 'next', 'ioredis', 'redis'] });
