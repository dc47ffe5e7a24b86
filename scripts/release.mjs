// `npm run release`: publish the public packages whose version is not on npm yet (Changesets'
// `changeset publish`, which also tags each release in git).
// `npm run release -- --dry-run`: publish nothing; print the changesets still waiting for
// `npm run version-packages`, then exactly what `npm publish` would upload for each package.
// The procedure is in CONTRIBUTING.md ("Versions and releases").
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const unknown = args.filter((a) => a !== '--dry-run');
if (unknown.length > 0) {
  console.error(`release: unknown argument(s) ${unknown.join(' ')}; the only option is --dry-run`);
  process.exit(2);
}

const run = (command, commandArgs) => {
  const result = spawnSync(command, commandArgs, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
};

const publicPackages = readdirSync(join(root, 'packages'))
  .filter((dir) => existsSync(join(root, 'packages', dir, 'package.json')))
  .sort()
  .map((dir) => ({ dir, manifest: JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')) }))
  .filter(({ manifest }) => manifest.private !== true);

const pending = readdirSync(join(root, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');

if (!dryRun) {
  // A release publishes what `changeset version` wrote; changesets still pending mean that step was skipped.
  if (pending.length > 0) {
    console.error(
      `release: ${pending.length} changeset(s) not applied yet (${pending.join(', ')}): run \`npm run version-packages\`, review, commit, then release.`,
    );
    process.exit(1);
  }
  const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: root, encoding: 'utf8' }).trim();
  if (dirty) {
    console.error('release: the work tree has uncommitted changes; commit or stash them first.');
    process.exit(1);
  }
  run('npm', ['run', 'build']);
  run('npx', ['changeset', 'publish']);
  console.log('\nPublished. Push the release tags: git push --follow-tags');
  process.exit(0);
}

console.log('release --dry-run: nothing is published.\n');
if (pending.length > 0) {
  console.log(`${pending.length} changeset(s) wait for \`npm run version-packages\`; these versions would result:\n`);
  run('npx', ['changeset', 'status', '--verbose']);
  console.log('\nUntil version-packages has run, a release would publish the versions in package.json as they are now:');
} else {
  console.log('No pending changesets: the versions in package.json are the ones a release would publish.');
}
// The build's own output is long; it is shown only if the build fails.
const build = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8' });
if (build.status !== 0) {
  process.stderr.write(`${build.stdout}${build.stderr}`);
  process.exit(build.status ?? 1);
}
for (const { dir, manifest } of publicPackages) {
  console.log(`\n=== ${manifest.name}@${manifest.version}`);
  run('npm', ['publish', '--dry-run', '--access', 'public', '--workspace', `packages/${dir}`]);
}
