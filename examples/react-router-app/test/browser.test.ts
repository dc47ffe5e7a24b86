import { activeSessionsInBrowser } from '../../shared/test/browser.js';
import { Agent, startInstance, useRedis } from './helpers.js';

const redis = useRedis();

activeSessionsInBrowser({ name: 'React Router', screenshot: 'react-router-sessions.png', start: () => startInstance(redis), Agent });
