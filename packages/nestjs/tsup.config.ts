import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Nest, the adapters and their session packages stay imports: the app's own copies are the ones used.
  external: [/^@nestjs\//, /^@sessionkit\//, /^@fastify\//, 'express-session', 'fastify', 'ioredis', 'redis'],
});
