import { beforeAll } from 'vitest';
import { collectConsoleErrors, defineFaultSuites } from '../../shared/test/faults.js';
import { Agent, buildApp, serveHere } from './helpers.js';

/**
 * The example Next app (its production build, served in this process by src/server.ts) with
 * Redis stopped under load, paused, and restarted with and without persistence: the suites of
 * examples/shared/test/faults.ts, which every example app runs.
 */
beforeAll(buildApp, 240_000);

// The app logs one line per Redis failure (console.error): keep the test output readable.
collectConsoleErrors();

defineFaultSuites({ framework: 'Next.js', serve: (client) => serveHere(client), Agent });
