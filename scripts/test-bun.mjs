// The Bun client's tests on the Bun runtime: Vitest itself runs on Bun (`bun --bun`, so its
// workers are Bun processes too), with the core-bun, hono-bun and examples-bun projects of vitest.workspace.ts
// (listed only when that file loads on Bun). Bun is a dev dependency (`npm ci` installs its binary under
// node_modules/.bin), so a fresh machine needs nothing else. Ends with one plain line saying
// what ran on which Bun and whether it passed.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * The bun binary: node_modules/.bin/bun, which bun's postinstall puts in place; if an npm that
 * does not run install scripts left its placeholder there, the platform package's own binary
 * (@oven/bun-<os>-<arch>, an optional dependency npm installs for this machine).
 */
function findBun() {
  const exe = process.platform === 'win32' ? '.exe' : '';
  const oven = join(root, 'node_modules', '@oven');
  let platform = [];
  try {
    platform = readdirSync(oven)
      .filter((name) => name.startsWith(`bun-${process.platform}-${process.arch}`))
      .map((name) => join(oven, name, 'bin', `bun${exe}`));
  } catch {
    // no platform package: only .bin/bun can work
  }
  for (const candidate of [join(root, 'node_modules', '.bin', `bun${exe}`), ...platform]) {
    const run = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (run.status === 0 && /^\d+\.\d+\.\d+/.test(run.stdout)) return { bun: candidate, version: run.stdout.trim() };
  }
  console.error('test-bun: no working bun binary under node_modules: run npm ci (bun is a dev dependency)');
  process.exit(1);
}

/** What runs on Bun: the core on Bun's client; the Hono adapter and the Hono example's HTTP suite on Bun.serve and Bun's client. */
const PROJECTS = ['core-bun', 'hono-bun', 'examples-bun'];

const { bun, version } = findBun();
const started = Date.now();
const run = spawnSync(bun, ['--bun', 'node_modules/vitest/vitest.mjs', 'run', ...PROJECTS.flatMap((name) => ['--project', name]), ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
const seconds = Math.round((Date.now() - started) / 1000);
console.log(`Bun ${version}: ${PROJECTS.join(', ')} tests ${run.status === 0 ? 'passed' : 'FAILED'} in ${seconds} s`);
process.exit(run.status ?? 1);
