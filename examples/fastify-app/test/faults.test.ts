import { defineFaultSuites } from '../../shared/test/faults.js';
import { Agent, serve } from './helpers.js';

/**
 * The example Fastify app with Redis stopped under load, paused, and restarted with and without
 * persistence: the suites of examples/shared/test/faults.ts, which both example apps run.
 * (Its logger is off, so unlike the Express app it prints nothing to silence.)
 */
defineFaultSuites({ framework: 'Fastify', serve, Agent });
