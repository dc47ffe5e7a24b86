import { libraryConfig } from '../../tsup.base.js';

// Nest, the adapters and their session packages stay imports: the app's own copies are the ones used.
export default libraryConfig({ external: [/^@nestjs\//, /^@sessionkit\//, /^@fastify\//, 'express-session', 'fastify', 'ioredis', 'redis'] });
