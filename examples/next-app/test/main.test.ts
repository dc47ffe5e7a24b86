import { beforeAll } from 'vitest';
import { defineEncryptionSuite } from '../../shared/test/encryption.js';
import { defineEntryPointSuites } from '../../shared/test/main.js';
import { defineMetricsSuite } from '../../shared/test/metrics.js';
import { Agent, buildApp } from './helpers.js';

beforeAll(buildApp, 240_000);

/** `npm run example:next` as the README gives it: the real entry point in its own process (examples/shared/test/main.ts), on the production build. */
defineEntryPointSuites({ main: 'examples/next-app/src/main.ts', sessionSecret: 'entry point test secret, 32+ characters long', Agent });

/** METRICS=1: GET /metrics over HTTP after a sign-in and a few pages (examples/shared/test/metrics.ts). */
defineMetricsSuite({ main: 'examples/next-app/src/main.ts', sessionSecret: 'entry point test secret, 32+ characters long', Agent });

/** SESSION_ENCRYPTION_KEYS: sessions encrypted at rest, a dump holds none of their data (examples/shared/test/encryption.ts). */
defineEncryptionSuite({ main: 'examples/next-app/src/main.ts', sessionSecret: 'entry point test secret, 32+ characters long', Agent });
