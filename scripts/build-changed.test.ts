import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * scripts/build-changed.mjs, which `npm run example:*` runs before starting an example, on a
 * workspace of its own under .tmp shaped like ours (core, two adapters, a shared example package
 * and an example app) whose build scripts only record that they ran: what it builds, in what
 * order, and that a changed source always rebuilds.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
let work: string;

const write = (path: string, text: string) => {
  mkdirSync(join(work, path, '..'), { recursive: true });
  writeFileSync(join(work, path), text);
};
const pkg = (dir: string, name: string, dependencies: string[], build = true) =>
  write(
    `${dir}/package.json`,
    JSON.stringify({
      name,
      dependencies: Object.fromEntries(dependencies.map((d) => [d, '0.0.0'])),
      // The build records its package in builds.log, then writes dist/ as tsup does (cleaned first).
      scripts: build
        ? {
            build: `node -e "require('fs').appendFileSync('../../builds.log', '${name}\\n'); require('fs').rmSync('dist', { recursive: true, force: true }); require('fs').mkdirSync('dist'); require('fs').writeFileSync('dist/index.js', '')"`,
          }
        : {},
    }),
  );

/** Runs the script as `npm run example:*` does; returns the packages it built, in order. */
function buildChanged(...dirs: string[]): string[] {
  rmSync(join(work, 'builds.log'), { force: true });
  execFileSync(process.execPath, [join(root, 'scripts', 'build-changed.mjs'), ...dirs], {
    env: { ...process.env, SESSIONKIT_BUILD_ROOT: work },
    stdio: 'pipe',
  });
  return existsSync(join(work, 'builds.log')) ? readFileSync(join(work, 'builds.log'), 'utf8').trim().split('\n') : [];
}

/**
 * An edit of `path` after its package's dist was built: the file's time is now, the dist's a
 * minute ago (set by hand, so that no test waits on the clock).
 */
const edited = (path: string) => {
  const now = new Date();
  const before = new Date(now.getTime() - 60_000);
  utimesSync(join(work, path), now, now);
  const dist = join(work, path.split('/').slice(0, 2).join('/'), 'dist', 'index.js');
  if (existsSync(dist)) utimesSync(dist, before, before);
};

beforeAll(() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  work = mkdtempSync(join(root, '.tmp', 'build-changed-'));
  write('package.json', JSON.stringify({ name: 'root', private: true, workspaces: ['packages/*', 'examples/*'] }));
  pkg('packages/core', '@x/core', []);
  pkg('packages/express', '@x/express', ['@x/core']);
  pkg('packages/koa', '@x/koa', ['@x/core']);
  pkg('packages/testing', '@x/testing', [], false);
  pkg('examples/shared', '@x/example-shared', ['@x/core', '@x/testing'], false);
  pkg('examples/express-app', '@x/example-express', ['@x/example-shared', '@x/express', 'express']);
  for (const dir of ['packages/core', 'packages/express', 'packages/koa', 'examples/shared', 'examples/express-app']) write(`${dir}/src/index.ts`, '');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('build-changed (npm run example:*)', () => {
  it('builds only what the example uses, dependencies first, and nothing when nothing changed', () => {
    // The example app has no build script of its own here: only its workspace dependencies build.
    write('examples/express-app/package.json', JSON.stringify({ name: '@x/example-express', dependencies: { '@x/example-shared': '0', '@x/express': '0' } }));
    expect(buildChanged('examples/express-app')).toEqual(['@x/core', '@x/express']);
    expect(buildChanged('examples/express-app')).toEqual([]);
    expect(existsSync(join(work, 'packages/koa/dist'))).toBe(false);
  });

  it('rebuilds a package whose source changed after its dist was built, and only that one', () => {
    edited('packages/express/src/index.ts');
    expect(buildChanged('examples/express-app')).toEqual(['@x/express']);
    edited('packages/core/src/index.ts');
    expect(buildChanged('examples/express-app')).toEqual(['@x/core']);
    expect(buildChanged('examples/express-app')).toEqual([]);
  });

  it('rebuilds when its package.json or a new source file is newer, or dist is gone', () => {
    edited('packages/core/package.json');
    expect(buildChanged('examples/express-app')).toEqual(['@x/core']);
    write('packages/express/src/lua/new.lua', 'return 1');
    edited('packages/express/src/lua/new.lua');
    expect(buildChanged('examples/express-app')).toEqual(['@x/express']);
    rmSync(join(work, 'packages/express/dist'), { recursive: true });
    expect(buildChanged('examples/express-app')).toEqual(['@x/express']);
  });

  it('with no argument, covers every workspace package with a build script', () => {
    expect(buildChanged()).toEqual(['@x/koa']);
  });
});

describe('npm run example:*', () => {
  it('builds only through build-changed, for the example it starts', () => {
    const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts as Record<string, string>;
    const examples = Object.entries(scripts).filter(([name]) => name.startsWith('example:'));
    expect(examples.map(([name]) => name).sort()).toEqual([
      'example:express',
      'example:fastify',
      'example:hono',
      'example:hono:bun',
      'example:koa',
      'example:next',
      'example:react-router',
    ]);
    for (const [name, command] of examples) {
      const app = /(?:tsx|bun) (examples\/[\w-]+)\/src\/main\.ts$/.exec(command)?.[1];
      // example:hono:bun runs the same entry point on Bun, with Bun's own Redis client.
      const run = name.endsWith(':bun') ? `REDIS_CLIENT=bun bun ${app}/src/main.ts` : `tsx ${app}/src/main.ts`;
      expect(command).toBe(`node scripts/build-changed.mjs ${app} && ${run}`);
    }
  });
});
