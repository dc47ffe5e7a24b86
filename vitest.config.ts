import { defineConfig } from 'vitest/config';
import projects from './vitest.workspace.js';

export default defineConfig({
  test: {
    projects,
    // Vitest's default on this 2-core machine is one worker, which ran the files one after another
    // (560 s); the tests wait on redis-server processes and sockets as much as on the CPU, and
    // two workers finish the same run in about 350 s.
    maxWorkers: 2,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts'],
      // The CLI's tests spawn its binary, which coverage in this process cannot see; the Bun
      // client runs only on Bun (npm run test:bun, a separate process without V8 coverage).
      exclude: ['packages/testing/**', 'packages/cli/**', 'packages/core/src/client/bun.ts'],
      reporter: ['text-summary', 'text'],
      thresholds: {
        'packages/core/src/**': { lines: 90 },
      },
    },
  },
});
