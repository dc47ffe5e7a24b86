import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the test app (test/fixture) with `next build` before the `next` project runs, unless
 * its build is newer than everything it is built from (the fixture's files, the adapter's src and
 * core's built dist, which the build bundles: a core change, such as a new default, must reach the
 * app). A build takes 20 to 40 s on a shared 2-core machine; an up-to-date one is skipped.
 */
const fixture = fileURLToPath(new URL('./fixture', import.meta.url));
const src = fileURLToPath(new URL('../src', import.meta.url));
const coreDist = fileURLToPath(new URL('../../core/dist', import.meta.url));

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir)) {
    if (entry === 'dist' || entry === 'cache' || entry === 'node_modules' || entry === 'next-env.d.ts') continue;
    const path = join(dir, entry);
    const stat = statSync(path);
    latest = Math.max(latest, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const marker = join(fixture, 'dist', 'BUILD_ID');
  if (existsSync(marker) && statSync(marker).mtimeMs > Math.max(newest(fixture), newest(src), newest(coreDist))) return;
  const started = Date.now();
  const next = fileURLToPath(new URL('../../../node_modules/next/dist/bin/next', import.meta.url));
  const result = spawnSync(process.execPath, [next, 'build'], {
    cwd: fixture,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new Error(`next build of the test app failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  console.log(`next: built the test app in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
