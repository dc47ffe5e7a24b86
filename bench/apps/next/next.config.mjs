import { fileURLToPath } from 'node:url';

/**
 * The bench's Next.js 16 app (bench/apps/next.ts serves it): built with `next build --webpack`
 * into dist/ by the bench run when its sources or @sessionkit/next's dist changed
 * (bench/apps/next-build.ts).
 */
export default {
  distDir: 'dist',
  // `npm run typecheck` checks these files (tsc -p bench/apps/next); the build need not again.
  typescript: { ignoreBuildErrors: true },
  // Loaded by Node, not bundled: the Redis client bench/apps/next.ts connected is this very one.
  serverExternalPackages: ['ioredis', 'redis', '@sessionkit/core'],
  outputFileTracingRoot: fileURLToPath(new URL('../../..', import.meta.url)),
};
