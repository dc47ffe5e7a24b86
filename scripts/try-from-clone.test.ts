import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';

/**
 * README.md's "Before the first release": the packages packed from a clone and installed in an app
 * as tarballs, with the README's own `npm pack` and `npm install` lines (the tarball names it
 * prints included). The app is made under .tmp so that the framework and client it also installs
 * from the registry (express-session, ioredis) resolve from the workspace instead: the test
 * installs only the tarballs, offline. Needs `npm run build` first.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const redis = useRedis();

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const block = /<!-- snippet: tested-by scripts\/try-from-clone\.test\.ts -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
/** The words of the README's command that starts with `start`, comments and the `cd` before it dropped. */
const command = (start: string): string[] => {
  const line = block
    .split('\n')
    .flatMap((l) => l.replace(/(^|\s)#.*$/, '').split('&&'))
    .map((l) => l.trim())
    .find((l) => l.startsWith(start));
  if (!line) throw new Error(`README.md's "Before the first release" block has no \`${start}\` line`);
  return line.split(/\s+/).slice(1);
};

const work = (() => {
  mkdirSync(join(root, '.tmp'), { recursive: true });
  return mkdtempSync(join(root, '.tmp', 'try-from-clone-'));
})();
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("README's try-from-a-clone commands", () => {
  it('pack core and express into tarballs that install in an app and keep sessions in Redis', async () => {
    // `npm pack ... --pack-destination ..`, run in the clone: `..` is the folder beside it, here `work`.
    const pack = command('npm pack').map((word) => (word === '..' ? work : word));
    execFileSync('npm', pack, { cwd: root, stdio: 'pipe' });

    // `cd ../your-app && npm install ../<tarball> ... express express-session ioredis`.
    const app = join(work, 'your-app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'your-app', private: true, type: 'module' }));
    const tarballs = command('npm install').filter((word) => word.endsWith('.tgz'));
    const version = JSON.parse(readFileSync(join(root, 'packages', 'core', 'package.json'), 'utf8')).version as string;
    expect(tarballs).toEqual([`../sessionkit-core-${version}.tgz`, `../sessionkit-express-${version}.tgz`]);
    for (const tarball of tarballs) expect(lstatSync(resolve(app, tarball)).isFile()).toBe(true);
    execFileSync('npm', ['install', '--offline', '--legacy-peer-deps', '--no-audit', '--no-fund', ...tarballs], { cwd: app, stdio: 'pipe' });
    // Installed files, not links back into the workspace.
    for (const name of ['core', 'express']) expect(lstatSync(join(app, 'node_modules', '@sessionkit', name)).isDirectory()).toBe(true);

    writeFileSync(
      join(app, 'try.mjs'),
      `import { Redis } from 'ioredis';
import { RedisStore } from '@sessionkit/express';
const client = new Redis(process.env.REDIS_URL);
const store = new RedisStore({ client });
const call = (method, ...args) => new Promise((ok, fail) => store[method](...args, (err, value) => (err ? fail(err) : ok(value))));
await call('set', 'try-sid', { cookie: { maxAge: 60_000 }, userId: 'alice' });
const session = await call('get', 'try-sid');
const listed = await store.listUserSessions('alice');
console.log(JSON.stringify({ from: import.meta.resolve('@sessionkit/express'), userId: session.userId, listed: listed.length }));
client.disconnect();
`,
    );
    const { host, port } = redis.server;
    const out = JSON.parse(
      execFileSync(process.execPath, ['try.mjs'], { cwd: app, encoding: 'utf8', env: { ...process.env, REDIS_URL: `redis://${host}:${port}` } }),
    );
    expect(out).toMatchObject({ userId: 'alice', listed: 1 });
    expect(out.from).toContain('/your-app/node_modules/@sessionkit/express/');
  });
});
