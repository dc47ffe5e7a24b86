import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

/** Tests import the packages' sources; the exports check imports the built dist. */
export const alias = {
  '@sessionkit/core': src('core'),
  '@sessionkit/testing': src('testing'),
};

const project = (name: string, root: string, extra: Record<string, unknown> = {}): TestProjectConfiguration => ({
  resolve: { alias },
  test: { name, root, include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000, ...extra },
});

// The list of test projects; vitest.config.ts imports it as `test.projects`
// (Vitest 4 no longer reads this file on its own).
export default [
  project('core', './packages/core'),
  project('testing', './packages/testing'),
] satisfies TestProjectConfiguration[];
