/**
 * The production build of the bench's Next app (bench/apps/next), made by the bench run before
 * its Next app processes start, and only when stale: when its dist/ is older than the app's
 * files, bench/session-data.ts or @sessionkit/next's and @sessionkit/core's dist. A build takes
 * about a minute on a shared 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const NEXT_APP_DIR = fileURLToPath(new URL('./next', import.meta.url));
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The newest modification time under `path`, skipping builds and dependencies. */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === 'dist' || entry === 'node_modules' || entry === 'next-env.d.ts') continue;
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

export function buildNextApp(log: (line: string) => void): void {
  const marker = join(NEXT_APP_DIR, 'dist', 'BUILD_ID');
  const inputs = [NEXT_APP_DIR, join(root, 'bench', 'session-data.ts'), join(root, 'packages', 'next', 'dist'), join(root, 'packages', 'core', 'dist')];
  for (const dist of inputs.slice(2)) if (!existsSync(dist)) throw new Error(`${dist} is missing: run npm run build first`);
  if (existsSync(marker) && statSync(marker).mtimeMs > Math.max(...inputs.map(newest))) return;
  const started = Date.now();
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'next', 'dist', 'bin', 'next'), 'build', '--webpack'], {
    cwd: NEXT_APP_DIR,
    encoding: 'utf8',
    env: { ...process.env, NODE_ENV: 'production', NEXT_TELEMETRY_DISABLED: '1' },
  });
  if (result.status !== 0) throw new Error(`next build of bench/apps/next failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
  log(`  built bench/apps/next in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
