import { beforeAll } from 'vitest';
import { activeSessionsInBrowser } from '../../shared/test/browser.js';
import { Agent, buildApp, startInstance, useRedis } from './helpers.js';

const redis = useRedis();
beforeAll(buildApp, 240_000);

activeSessionsInBrowser({ name: 'Next.js', screenshot: 'next-sessions.png', start: () => startInstance(redis), Agent });
