import { fileURLToPath } from 'node:url';
import type { TestProjectConfiguration } from 'vitest/config';
// @ts-expect-error plain JavaScript, shared with the core build (see packages/core/lua-bundle.mjs)
import { luaVitePlugin } from './packages/core/lua-bundle.mjs';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));
const exampleFiles = fileURLToPath(new URL('./examples', import.meta.url));

/** Tests import the packages' sources; the exports check imports the built dist. */
export const alias = {
  // Before '@sessionkit/core', which would otherwise take it as a path below its own entry.
  '@sessionkit/core/toolkit': fileURLToPath(new URL('./packages/core/src/toolkit.ts', import.meta.url)),
  '@sessionkit/core': src('core'),
  '@sessionkit/testing': src('testing'),
  '@sessionkit/express': src('express'),
  '@sessionkit/fastify': src('fastify'),
  '@sessionkit/koa': src('koa'),
  '@sessionkit/react-router': src('react-router'),
  '@sessionkit/nestjs': src('nestjs'),
  '@sessionkit/hono': src('hono'),
  '@sessionkit/next': src('next'),
  '@sessionkit/otel': src('otel'),
  // `npm run test:node-matrix` (scripts/node-matrix.mjs) also tests against packages that need
  // Node 22 and so cannot be dev dependencies while `npm ci` runs on Node 20: React Router 8 and
  // connect-redis 10, installed under .tmp. These variables point at them.
  ...(process.env.SESSIONKIT_TEST_REACT_ROUTER ? { 'react-router': process.env.SESSIONKIT_TEST_REACT_ROUTER } : {}),
  ...(process.env.SESSIONKIT_TEST_CONNECT_REDIS10 ? { 'connect-redis10': process.env.SESSIONKIT_TEST_CONNECT_REDIS10 } : {}),
};

/**
 * connect-redis 9's own test file runs unchanged against @sessionkit/express
 * (packages/express/test/connect-redis9-upstream.test.ts): for that one importer, its `./` (the
 * connect-redis store) resolves to @sessionkit/express (through connect-redis9-upstream/store.ts),
 * and its `./testdata/server` (not in the npm package) to a stand-in on @sessionkit/testing.
 * Nothing else is affected.
 */
const upstream = (file: string) => fileURLToPath(new URL(`./packages/express/test/connect-redis9-upstream/${file}`, import.meta.url));
const connectRedis9Upstream = {
  name: 'connect-redis9-upstream',
  enforce: 'pre' as const,
  resolveId(source: string, importer: string | undefined) {
    if (!importer?.replaceAll('\\', '/').endsWith('/node_modules/connect-redis9/index_test.ts')) return null;
    if (source === './') return upstream('store.ts');
    if (source === './testdata/server') return upstream('server.ts');
    return null;
  },
};

const project = (name: string, root: string, extra: Record<string, unknown> = {}): TestProjectConfiguration => ({
  resolve: { alias },
  // The core's Lua scripts are imported as text with their includes, as the build bundles them.
  plugins: [luaVitePlugin(), connectRedis9Upstream],
  test: { name, root, include: ['test/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000, ...extra },
});

// The list of test projects; vitest.config.ts imports it as `test.projects`
// (Vitest 4 no longer reads this file on its own).
export default [
  // test/bun.test.ts runs on the Bun runtime only, in the core-bun project below.
  project('core', './packages/core', { exclude: ['test/bun.test.ts'] }),
  project('testing', './packages/testing'),
  project('express', './packages/express', { exclude: ['test/connect-redis9-upstream.test.ts'] }),
  // connect-redis 9's own test file, run unchanged: its "redis" test writes 1,000 sessions one
  // after another, each expiring a second after its write, then expects all 1,000 alive, so on
  // a loaded machine it fails for time alone. The only test run with retries here.
  project('express-upstream', './packages/express', { include: ['test/connect-redis9-upstream.test.ts'], retry: 2 }),
  project('fastify', './packages/fastify'),
  project('koa', './packages/koa'),
  // The `sessionkit` binary, built, spawned as a user runs it, against real Redis.
  project('cli', './packages/cli', { testTimeout: 60_000 }),
  project('react-router', './packages/react-router'),
  // The adapter in a real Next 16 app (test/fixture), built with `next build` when stale (test/global-setup.ts), served by Next's production server.
  project('next', './packages/next', { testTimeout: 60_000, hookTimeout: 60_000, globalSetup: ['test/global-setup.ts'] }),
  // OpenTelemetry's real SDK with in-memory exporters; the ioredis instrumentation in a child process (it patches on require).
  project('otel', './packages/otel'),
  // A real Nest app on @nestjs/platform-express and on @nestjs/platform-fastify, over HTTP.
  project('nestjs', './packages/nestjs'),
  // Hono on @hono/node-server, over HTTP; the same files run on Bun in hono-bun below.
  project('hono', './packages/hono'),
  // Example apps: real HTTP servers, two instances on one Redis, and a real headless Chromium.
  project('examples', exampleFiles, { include: ['*/test/**/*.test.ts'], testTimeout: 60_000 }),
  // Checks on the built dist: each public package packed and checked by publint and attw,
  // `import` and `require` of every package, their declarations, and every code block of
  // README.md, docs/*.md and packages/*/README.md as printed (scripts/snippets.test.ts).
  project('repo', './scripts', { include: ['*.test.ts'] }),
  // `npm run bench` end to end in quick mode (tiny durations, into a temp dir): counts and shape
  // only, never timings. The full run is `npm run bench`, outside the test command.
  project('bench', './bench', { testTimeout: 180_000 }),
  // Bun's built-in RedisClient, on the Bun runtime: Vitest itself runs on Bun
  // (scripts/test-bun.mjs, `npm run test:bun`), and the per-operation files run on Bun's client
  // (storeClients in packages/core/test/helpers.ts). Listed only when this file loads on Bun.
  ...(process.versions.bun
    ? [
        project('core-bun', './packages/core', {
          include: ['test/bun.test.ts', ...['get', 'set', 'touch', 'index', 'invalidate', 'merge'].map((file) => `test/${file}.test.ts`)],
        }),
        // The Hono adapter's files on Bun.serve with Bun's RedisClient (see packages/hono/test/helpers.ts).
        project('hono-bun', './packages/hono'),
        // The Hono example's shared HTTP, Chromium, security and fault suites, on Bun.serve with Bun's RedisClient (examples/hono-app/test/helpers.ts).
        project('examples-bun', exampleFiles, {
          include: ['hono-app/test/app.test.ts', 'hono-app/test/browser.test.ts', 'hono-app/test/security.test.ts', 'hono-app/test/faults.test.ts'],
          testTimeout: 60_000,
        }),
      ]
    : []),
] satisfies TestProjectConfiguration[];
