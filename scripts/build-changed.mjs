// Builds the workspace packages a program needs, skipping those whose dist is newer than what it
// is built from, so that `npm run example:*` starts in a second or two when nothing changed
// instead of rebuilding all six packages with their declarations (about 17 s) every time.
//
//   node scripts/build-changed.mjs [<workspace dir> ...]   e.g. examples/express-app
//
// With directories, builds the workspace packages they depend on (directly or through other
// workspace packages, e.g. examples/shared -> @sessionkit/core), and themselves if they have a
// build script; with none, every workspace package. A package is rebuilt when its dist/ is
// missing or any of its inputs (src/, package.json, tsconfig.json, tsup.config.ts and the other
// files at its top level, the root tsconfig.base.json) is newer than the oldest file in dist/.
// Dependencies build first, so that an adapter's declarations see core's.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.env.SESSIONKIT_BUILD_ROOT ?? fileURLToPath(new URL('..', import.meta.url));

/** Every workspace package: name -> { dir, manifest }. */
function workspaces() {
  const globs = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces ?? [];
  const found = new Map();
  for (const glob of globs) {
    if (!glob.endsWith('/*')) throw new Error(`build-changed: only "dir/*" workspace globs are understood, not "${glob}"`);
    const parent = join(root, glob.slice(0, -2));
    for (const name of readdirSync(parent).sort()) {
      const file = join(parent, name, 'package.json');
      if (!existsSync(file)) continue;
      const manifest = JSON.parse(readFileSync(file, 'utf8'));
      found.set(manifest.name, { dir: join(parent, name), manifest });
    }
  }
  return found;
}

/** Files under `path` (recursively), skipping dist and node_modules. */
function* files(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) {
    yield { path, mtimeMs: stat.mtimeMs };
    return;
  }
  for (const entry of readdirSync(path)) {
    // dist/cache: a build's own cache (next build keeps it across builds), neither input nor output.
    // next-env.d.ts: written by next build itself.
    if (entry === 'dist' || entry === 'node_modules' || entry === 'test' || entry === 'cache' || entry === 'next-env.d.ts') continue;
    yield* files(join(path, entry));
  }
}

/** Why `pkg` needs a build, or undefined when its dist is newer than every input. */
function staleness(pkg) {
  const dist = join(pkg.dir, 'dist');
  if (!existsSync(dist)) return 'no dist/';
  const outputs = [...files(dist)];
  if (outputs.length === 0) return 'dist/ is empty';
  const builtAt = Math.min(...outputs.map((f) => f.mtimeMs));
  const inputs = [...files(pkg.dir)];
  const base = join(root, 'tsconfig.base.json');
  if (existsSync(base)) inputs.push({ path: base, mtimeMs: statSync(base).mtimeMs });
  const newer = inputs.find((f) => f.mtimeMs > builtAt);
  return newer ? `${relative(root, newer.path)} changed since dist/ was built` : undefined;
}

const all = workspaces();
const byDir = new Map([...all.values()].map((pkg) => [pkg.dir, pkg]));
const requested = process.argv.slice(2).map((dir) => {
  const pkg = byDir.get(join(root, dir).replace(/\/$/, ''));
  if (!pkg) throw new Error(`build-changed: ${dir} is not a workspace package`);
  return pkg;
});

// Dependencies first (depth-first, each package once).
const order = [];
const seen = new Set();
function visit(pkg) {
  if (seen.has(pkg.manifest.name)) return;
  seen.add(pkg.manifest.name);
  for (const dep of Object.keys(pkg.manifest.dependencies ?? {})) if (all.has(dep)) visit(all.get(dep));
  order.push(pkg);
}
for (const pkg of requested.length ? requested : all.values()) visit(pkg);

const upToDate = [];
for (const pkg of order.filter((p) => p.manifest.scripts?.build)) {
  const why = staleness(pkg);
  if (!why) {
    upToDate.push(pkg.manifest.name);
    continue;
  }
  console.log(`build-changed: building ${pkg.manifest.name} (${why})`);
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: pkg.dir, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`build-changed: the build of ${pkg.manifest.name} failed (exit ${result.status})`);
    process.exit(1);
  }
}
if (upToDate.length) console.log(`build-changed: up to date: ${upToDate.join(', ')}`);
