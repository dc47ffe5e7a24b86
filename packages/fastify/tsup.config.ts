import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  // The bundled declarations drop triple-slash references; fastify's `Session` interface (used in
  // our types) only exists once @fastify/session's declarations are loaded, so load them first.
  dts: { banner: '/// <reference types="@fastify/session" />' },
  clean: true,
  sourcemap: true,
  target: 'node20',
});
