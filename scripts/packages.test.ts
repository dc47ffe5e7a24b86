import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publicPackages } from './public-packages.js';

/**
 * What npm would publish, checked by the tools made for it: every public package is packed as
 * `npm publish` would pack it (built dist included, so this runs after `npm run build`), then
 * publint checks the package.json against the files in the tarball and attw (Are the Types
 * Wrong?) resolves each entry point's types as node10, node16 (CJS and ESM) and bundler
 * consumers would. What neither covers is checked below them: the files a user reads on npm.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name: string) => join(root, 'node_modules', '.bin', name);
const packages = publicPackages(root);

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
}

let dir = '';
const packed = new Map<string, Packed & { tarball: string }>();

/** Runs a command; on a non-zero exit, fails with everything it printed. */
function check(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    throw new Error(`${[command, ...args].join(' ')} failed:\n${stdout}${stderr}`);
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sessionkit-pack-'));
  // One npm call for all of them: npm's start-up is most of the cost.
  const out = check('npm', ['pack', '--json', '--pack-destination', dir, ...packages.flatMap((p) => ['--workspace', `packages/${p.dir}`])]);
  for (const entry of JSON.parse(out) as Packed[]) packed.set(entry.name, { ...entry, tarball: join(dir, entry.filename) });
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('published packages (packed tarballs)', () => {
  it('finds the public packages, and no private one', () => {
    expect(packages.map((p) => p.name)).toContain('@sessionkit/core');
    expect(packages.map((p) => p.name)).not.toContain('@sessionkit/testing');
  });

  for (const pkg of packages) {
    describe(pkg.name, () => {
      const tarball = () => {
        const entry = packed.get(pkg.name);
        if (!entry) throw new Error(`npm pack did not pack ${pkg.name}`);
        return entry;
      };

      it('publint: no errors or warnings', () => {
        check(bin('publint'), ['run', '--strict', tarball().tarball]);
      });

      // A command-line package (only a bin, like @sessionkit/cli) has no types for attw to resolve.
      const library = ['exports', 'main', 'types'].some((field) => field in pkg.manifest);
      it.skipIf(!library)('attw: types resolve for every entry point and module system', { timeout: 60_000 }, () => {
        // --no-definitely-typed: no @types lookups on the registry; the packages ship their own types.
        check(bin('attw'), [tarball().tarball, '--no-definitely-typed', '--format', 'ascii', '--no-color', '--no-emoji']);
      });

      it('ships a README, a CHANGELOG and the licence', () => {
        const files = tarball().files.map((f) => f.path);
        expect(files).toEqual(expect.arrayContaining(['README.md', 'CHANGELOG.md', 'LICENSE', 'package.json']));
        expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).toEqual([]);
      });

      it('has a README that reads right on npm: no links relative to the repository', () => {
        const readme = readFileSync(join(root, 'packages', pkg.dir, 'README.md'), 'utf8');
        const targets = [...readme.matchAll(/\]\(([^)\s]+)[^)]*\)|<img[^>]+src="([^"]+)"/g)].map((m) => m[1] ?? m[2]!);
        expect(targets.length).toBeGreaterThan(0);
        expect(targets.filter((t) => !/^(https:\/\/|#)/.test(t))).toEqual([]);
        // It tells how to install the package.
        expect(readme).toMatch(new RegExp(`npm (install|i) [^\\n]*${pkg.name.replace('/', '\\/')}`));
      });

      it('names its repository folder, so npm links to the source', () => {
        expect(pkg.manifest.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//), directory: `packages/${pkg.dir}` });
      });
    });
  }
});
