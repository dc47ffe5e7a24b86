import { fileURLToPath } from 'node:url';

/** `next build` writes to dist/, as every workspace package builds (scripts/build-changed.mjs rebuilds it when stale). */
export default {
  distDir: 'dist',
  // `npm run typecheck` checks the app (tsc -p examples/next-app); the build need not again.
  typescript: { ignoreBuildErrors: true },
  // The shared example parts are TypeScript sources.
  transpilePackages: ['@sessionkit/example-shared'],
  // Loaded by Node, not bundled: the Redis client src/server.ts connected is this very ioredis.
  serverExternalPackages: ['ioredis', 'redis', '@sessionkit/core'],
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
  // Built with webpack (`next build --webpack`): the shared sources import './users.js' for
  // './users.ts' (NodeNext style), which webpack's extensionAlias resolves and Turbopack does not.
  webpack(config) {
    config.resolve.extensionAlias = { '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};
