import { libraryConfig } from '../../tsup.base.js';
// @ts-expect-error plain JavaScript, shared with the Vitest config (see lua-bundle.mjs)
import { luaEsbuildPlugin } from './lua-bundle.mjs';

// Two entries: the app API and the adapter toolkit (`@sessionkit/core/toolkit`), sharing one copy of each class.
export default libraryConfig({ entry: ['src/index.ts', 'src/toolkit.ts'], esbuildPlugins: [luaEsbuildPlugin] });
