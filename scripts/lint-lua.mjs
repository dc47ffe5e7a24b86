// `npm run lint` step for the Redis Lua scripts: luacheck on every .lua file under
// packages/core/src/lua, with Redis's globals from .luacheckrc. Passes when there is none yet.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(root, 'packages/core/src/lua');
const files = existsSync(dir)
  ? readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.lua'))
      .sort()
      .map((name) => join('packages/core/src/lua', name))
  : [];

if (files.length === 0) {
  console.log('lint:lua: no .lua files under packages/core/src/lua');
  process.exit(0);
}

const run = spawnSync('luacheck', ['--config', '.luacheckrc', '--formatter', 'plain', '--codes', ...files], { cwd: root, stdio: 'inherit' });
if (run.error) {
  console.error(`lint:lua: cannot run luacheck (${run.error.message}); on Debian: apt-get install lua-check`);
  process.exit(1);
}
if (run.status === 0) console.log(`lint:lua: ${files.length} file(s), no warnings`);
process.exit(run.status ?? 1);
