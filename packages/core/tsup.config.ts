import { defineConfig } from 'tsup';
// @ts-expect-error plain JavaScript, shared with the Vitest config (see lua-bundle.mjs)
import { luaEsbuildPlugin } from './lua-bundle.mjs';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  esbuildPlugins: [luaEsbuildPlugin],
});
