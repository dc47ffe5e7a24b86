import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { publicPackages } from './public-packages.js';

/**
 * What publint and attw (scripts/packages.test.ts) do not do: load each published entry point for
 * real, from ESM and from CommonJS, start each command-line bin, and type-check the shipped
 * declaration files themselves.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const manifests = publicPackages(root);
/** The libraries (an exports map); a command-line package such as @sessionkit/cli has a bin instead. */
const packages = manifests.filter(({ manifest }) => manifest.exports).map((p) => p.name);
/** Every entry point of those: `.` as the package's name, a subpath (`./toolkit`) under it. */
const entries = manifests.flatMap(({ name, manifest }) =>
  Object.keys((manifest.exports ?? {}) as Record<string, unknown>)
    .filter((key) => key !== './package.json')
    .map((key) => (key === '.' ? name : `${name}/${key.slice(2)}`)),
);
const bins = manifests.flatMap(({ dir, manifest }) =>
  Object.entries((manifest.bin ?? {}) as Record<string, string>).map(([name, path]) => ({ name, path: join(root, 'packages', dir, path) })),
);

const run = (args: string[], cwd = root) => execFileSync(process.execPath, args, { cwd, encoding: 'utf8' });

describe('published entry points (built dist, through each package.json exports map)', () => {
  it('finds the packages', () => {
    expect(packages).toContain('@sessionkit/core');
    expect(entries).toContain('@sessionkit/core/toolkit');
  });

  for (const name of entries) {
    it(`${name}: import and require load the same API`, () => {
      const esm = run([
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).filter(k => k !== 'default').sort()))`,
      ]);
      const cjs = run(['-e', `const m = require(${JSON.stringify(name)}); console.log(JSON.stringify(Object.keys(m).sort()))`]);
      expect(JSON.parse(esm).length).toBeGreaterThan(0);
      expect(JSON.parse(cjs)).toEqual(JSON.parse(esm));
    });
  }

  // @sessionkit/core has two entries, the app API and `./toolkit`, built as ESM and as CommonJS.
  // Each class must be one class whichever entry hands it out: a toolkit FrameworkStore's `.core`
  // is the main entry's SessionStore, its errors are the main entry's SessionKitError, and an
  // adapter's engine is the toolkit's FrameworkStore. A build that copied the shared modules into
  // each entry would print false for each of these.
  const sameClasses = (load: string) => `
    const main = ${load}('@sessionkit/core');
    const toolkit = ${load}('@sessionkit/core/toolkit');
    const fastify = ${load}('@sessionkit/fastify');
    const { Redis } = ${load}('ioredis');
    const client = new Redis({ lazyConnect: true });
    const engine = new toolkit.FrameworkStore({ client });
    const given = new main.SessionStore({ client });
    let thrown;
    try { new toolkit.FrameworkStore(null); } catch (error) { thrown = error; }
    const adapter = new fastify.RedisStore({ client });
    // The Fastify store takes a parked ticket only if it is an instance of the Ticket it imports.
    const loaded = { __sessionkitTicket: new toolkit.Ticket() };
    adapter.claim(loaded);
    console.log(JSON.stringify({
      core: engine.core instanceof main.SessionStore,
      store: new toolkit.FrameworkStore({ store: given }).core === given,
      error: thrown instanceof main.SessionKitError,
      adapterEngine: adapter.sessions instanceof toolkit.FrameworkStore,
      adapterCore: adapter.core instanceof main.SessionStore,
      ticket: toolkit.carriedTicket(loaded) instanceof toolkit.Ticket,
    }));
    client.disconnect();`;
  const allTrue = { core: true, store: true, error: true, adapterEngine: true, adapterCore: true, ticket: true };

  it('@sessionkit/core and @sessionkit/core/toolkit share their classes (require)', () => {
    expect(JSON.parse(run(['-e', sameClasses('require')]))).toEqual(allTrue);
  });

  it('@sessionkit/core and @sessionkit/core/toolkit share their classes (import)', () => {
    expect(JSON.parse(run(['--input-type=module', '-e', sameClasses('await import')]))).toEqual(allTrue);
  });

  for (const bin of bins) {
    it(`the ${bin.name} bin starts and prints its help`, () => {
      expect(run([bin.path, '--help'])).toContain(`Usage: ${bin.name}`);
    });
  }

  it('each adapter re-exports what its docs import, so an app installs only the adapter', () => {
    const names = ['hashId', 'SessionKitError', 'CorruptSessionError', 'SessionLimitError', 'RedisOperationError'];
    // Every library built on core: each adapter, whatever its framework.
    const adapters = manifests
      .filter(
        ({ manifest }) =>
          manifest.exports &&
          manifest.name !== '@sessionkit/core' &&
          // An add-on beside the adapters, not one: an app imports core's API through its adapter.
          manifest.name !== '@sessionkit/otel' &&
          (manifest.dependencies as Record<string, string> | undefined)?.['@sessionkit/core'],
      )
      .map((p) => p.name);
    expect(adapters).toContain('@sessionkit/express');
    for (const adapter of adapters) {
      const esm = run([
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(adapter)}); const c = await import('@sessionkit/core'); console.log(JSON.stringify(${JSON.stringify(names)}.filter((n) => m[n] !== c[n])))`,
      ]);
      expect(JSON.parse(esm), adapter).toEqual([]);
    }
  });

  // attw checks that the types resolve; this compiles them with skipLibCheck off, which catches a
  // declaration file that refers to a type its package does not depend on. A consumer's tsc reads
  // react-router's and React's declarations too (~12 s of CPU).
  it('the declaration files type-check for ESM (.mts) and CommonJS (.cts) consumers (skipLibCheck off)', { timeout: 180_000 }, () => {
    // Inside the repo (a git-ignored folder), so that resolution finds the workspace's node_modules.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const dir = mkdtempSync(join(root, '.tmp', 'types-'));
    try {
      const lines = entries.map((name, i) => `import * as p${i} from ${JSON.stringify(name)};\nexport const k${i}: string[] = Object.keys(p${i});`).join('\n');
      writeFileSync(join(dir, 'esm.mts'), `${lines}\nimport { SessionStore } from '@sessionkit/core';\nexport type S = SessionStore;\n`);
      writeFileSync(join(dir, 'cjs.cts'), `${lines}\nimport { SessionStore } from '@sessionkit/core';\nexport type S = SessionStore;\n`);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          // node20: Node 20.19+ loads an ES module from require(), as SessionKit's CommonJS builds rely on for
          // ESM-only peers (NestJS 12 for @sessionkit/nestjs).
          compilerOptions: { module: 'node20', moduleResolution: 'nodenext', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] },
          files: ['esm.mts', 'cjs.cts'],
        }),
      );
      execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir, encoding: 'utf8' });
    } catch (error) {
      throw new Error(`tsc failed:\n${(error as { stdout?: string }).stdout ?? error}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
