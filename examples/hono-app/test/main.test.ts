import { defineEntryPointSuites } from '../../shared/test/main.js';
import { Agent } from './helpers.js';

/** `npm run example:hono` as the README gives it: the real entry point in its own process (examples/shared/test/main.ts). */
defineEntryPointSuites({ main: 'examples/hono-app/src/main.ts', sessionSecret: 'entry point test secret, 32+ characters long', Agent });
