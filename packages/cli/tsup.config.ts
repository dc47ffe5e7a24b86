import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';
import { parseDocumentedAcl } from './build/documented-acl.js';

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };
const acl = parseDocumentedAcl(readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8'));

export default defineConfig({
  entry: ['src/bin.ts'],
  format: ['esm'],
  clean: true,
  splitting: true,
  sourcemap: true,
  target: 'node20',
  // Dependencies stay imports (npm installs them); only the CLI's own code is bundled.
  external: ['@sessionkit/core', 'ioredis', 'commander', 'cli-table3', 'cli-progress', 'picocolors'],
  define: {
    __SESSIONKIT_DOCUMENTED_ACL__: JSON.stringify(acl),
    __SESSIONKIT_CLI_VERSION__: JSON.stringify(pkg.version),
  },
});
