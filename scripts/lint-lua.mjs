// `npm run lint` step for the Redis Lua scripts: luacheck, with Redis's globals from .luacheckrc,
// on each script in packages/core/src/lua as Redis receives it, that is with its
// `-- @include includes/<file>` lines replaced by those files (packages/core/lua-bundle.mjs), so a
// helper used but never included is an error. Findings point at the file and line they come from.
// Passes when there is no script yet.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const luaRoot = join(root, 'packages/core/src/lua');
const INCLUDE = /^--\s*@include\s+(\S+)\s*$/;

const scripts = existsSync(luaRoot)
  ? readdirSync(luaRoot)
      .filter((name) => name.endsWith('.lua'))
      .sort()
  : [];
if (scripts.length === 0) {
  console.log('lint:lua: no .lua files under packages/core/src/lua');
  process.exit(0);
}

/** The bundled text, and for each of its lines the file and line it came from. */
function bundle(file, seen = new Set()) {
  const lines = [];
  const origins = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      const match = INCLUDE.exec(line);
      if (!match) {
        lines.push(line);
        origins.push({ file, line: i + 1 });
        return;
      }
      const included = join(luaRoot, `${match[1]}.lua`);
      if (seen.has(included)) return;
      seen.add(included);
      const inner = bundle(included, seen);
      lines.push(...inner.lines);
      origins.push(...inner.origins);
    });
  return { lines, origins };
}

// The build's bundler is the reference: if this one ever differs from it, luacheck would be
// reading something other than what Redis runs.
const bundler = join(root, 'packages/core/lua-bundle.mjs');
const reference = existsSync(bundler) ? (await import(pathToFileURL(bundler).href)).bundleLua : undefined;

// An include brings helpers that a given script may not use: their "unused" warnings are noise.
const helperNames = new Set();
const includesDir = join(luaRoot, 'includes');
if (existsSync(includesDir)) {
  for (const name of readdirSync(includesDir).filter((n) => n.endsWith('.lua'))) {
    for (const m of readFileSync(join(includesDir, name), 'utf8').matchAll(/^local\s+(?:function\s+([A-Za-z_]\w*)|([A-Za-z_][\w\s,]*?)\s*=)/gm)) {
      for (const n of (m[1] ?? m[2]).split(',')) helperNames.add(n.trim());
    }
  }
}
const ignores = helperNames.size > 0 ? ['--ignore', ...[...helperNames].map((n) => `211/${n}`)] : [];

let failed = false;
/** Each finding once, with the scripts it was seen in: a finding in an include repeats per script. */
const findings = new Map();
for (const name of scripts) {
  const file = join(luaRoot, name);
  const { lines, origins } = bundle(file);
  const text = lines.join('\n');
  if (reference && reference(file) !== text) {
    console.error(`lint:lua: ${name}: this bundling differs from packages/core/lua-bundle.mjs; update scripts/lint-lua.mjs to match it`);
    failed = true;
    continue;
  }
  const run = spawnSync('luacheck', ['-', '--config', '.luacheckrc', '--formatter', 'plain', '--codes', '--filename', name, ...ignores], {
    cwd: root,
    input: text,
    encoding: 'utf8',
  });
  if (run.error) {
    console.error(`lint:lua: cannot run luacheck (${run.error.message}); on Debian: apt-get install lua-check`);
    process.exit(1);
  }
  if (run.status !== 0) failed = true;
  for (const finding of `${run.stdout}${run.stderr}`.split('\n').filter(Boolean)) {
    const m = /^[^:]+:(\d+):(\d+): (.*)$/.exec(finding);
    const origin = m ? origins[Number(m[1]) - 1] : undefined;
    const key = origin ? `${relative(root, origin.file)}:${origin.line}:${m[2]}: ${m[3]}` : finding;
    if (!findings.has(key)) findings.set(key, { scripts: [], included: origin !== undefined && origin.file !== file });
    findings.get(key).scripts.push(name);
  }
}
for (const [finding, { scripts: seenIn, included }] of findings) console.log(included ? `${finding} (in ${seenIn.join(', ')})` : finding);
if (failed) process.exit(1);
console.log(`lint:lua: ${scripts.length} script(s) with their includes, no warnings`);
