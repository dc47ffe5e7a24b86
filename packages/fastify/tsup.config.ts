import { libraryConfig } from '../../tsup.base.js';

// The bundled declarations drop triple-slash references; fastify's `Session` interface (used in
// our types) only exists once @fastify/session's declarations are loaded, so load them first.
export default libraryConfig({ dts: { banner: '/// <reference types="@fastify/session" />' } });
