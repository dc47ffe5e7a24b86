/** A Lua script, bundled with its includes at build time (see lua-bundle.mjs). */
declare module '*.lua' {
  const source: string;
  export default source;
}
