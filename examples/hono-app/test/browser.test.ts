import { activeSessionsInBrowser } from '../../shared/test/browser.js';
import { Agent, startInstance, useRedis } from './helpers.js';

const redis = useRedis();

activeSessionsInBrowser({ name: 'Hono', screenshot: 'hono-sessions.png', start: () => startInstance(redis), Agent });
