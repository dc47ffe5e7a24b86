import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  // Peers and core stay imports: one copy of React Router's session code and of the Lua scripts.
  external: ['@sessionkit/core', 'react-router', 'ioredis', 'redis'],
});
