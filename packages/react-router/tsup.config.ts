import { libraryConfig } from '../../tsup.base.js';

// Peers and core stay imports: one copy of React Router's session code and of the Lua scripts.
export default libraryConfig({ external: ['@sessionkit/core', 'react-router', 'ioredis', 'redis'] });
