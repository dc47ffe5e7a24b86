import { collectConsoleErrors, defineFaultSuites } from '../../shared/test/faults.js';
import { Agent, serve } from './helpers.js';

/**
 * The example Hono app (on @hono/node-server's listener) with Redis stopped under load, paused,
 * and restarted with and without persistence: the suites of examples/shared/test/faults.ts,
 * which every example app runs.
 */

// The app logs one line per Redis failure (console.error): keep the test output readable.
collectConsoleErrors();

defineFaultSuites({ framework: 'Hono', serve, Agent });
