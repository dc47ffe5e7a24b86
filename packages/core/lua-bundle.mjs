// Turns packages/core/src/lua/<name>.lua into the text the store sends to Redis: each
// `-- @include includes/<file>` line is replaced by that file (itself bundled), each file at most
// once per script. Used by the build (tsup, an esbuild plugin) and by the tests (a Vite plugin),
// so both run the same text. Plain JavaScript, so that both configs can import it as is.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const INCLUDE = /^--\s*@include\s+(\S+)\s*$/;

function luaRoot(file) {
  const at = file.lastIndexOf(`${join('src', 'lua')}`);
  return at >= 0 ? file.slice(0, at + join('src', 'lua').length) : dirname(file);
}

export function bundleLua(file, root = luaRoot(file), seen = new Set()) {
  const out = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const match = INCLUDE.exec(line);
    if (!match) {
      out.push(line);
      continue;
    }
    const included = join(root, `${match[1]}.lua`);
    if (seen.has(included)) continue;
    seen.add(included);
    out.push(bundleLua(included, root, seen));
  }
  return out.join('\n');
}

const asModule = (file) => `export default ${JSON.stringify(bundleLua(file))};`;

/** For tsup / esbuild: `import source from './lua/set.lua'` gives the bundled script text. */
export const luaEsbuildPlugin = {
  name: 'sessionkit-lua',
  setup(build) {
    build.onLoad({ filter: /\.lua$/ }, (args) => ({ contents: asModule(args.path), loader: 'js', watchFiles: [args.path] }));
  },
};

/** For Vite / Vitest: the same, for tests that import the sources. */
export function luaVitePlugin() {
  return {
    name: 'sessionkit-lua',
    enforce: 'pre',
    load(id) {
      const file = id.split('?')[0];
      return file.endsWith('.lua') ? asModule(file) : undefined;
    },
  };
}
