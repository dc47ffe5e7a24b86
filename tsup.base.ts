import { defineConfig, type Options } from 'tsup';

/**
 * The build every published library shares (the CLI, a bin, has its own): ESM and CommonJS with
 * their declarations, for Node 20. `overrides` adds what a package needs beyond that.
 *
 * Code splitting in both formats: a package with more than one entry (core's `.` and `./toolkit`)
 * gets its shared modules as chunks both entries load, not a copy in each, so that a class is
 * one class whichever entry hands it out (`instanceof SessionStore`, `instanceof Ticket`).
 * tsup's splitting is on by default for ESM only, hence `splitting: true`.
 */
export function libraryConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    splitting: true,
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    ...overrides,
  });
}
