#!/usr/bin/env node
import { main } from './cli.js';

// The first Ctrl-C asks the running command to stop after its current batch (stats and migrate
// then print what they did); a second one ends the process at once.
const controller = new AbortController();
// `sessionkit stats | head`: a reader that goes away is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted) process.exit(130);
  process.stderr.write(`\nsessionkit: ${signal}, stopping after the current batch (again to quit now)\n`);
  controller.abort();
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }, controller.signal);
process.exitCode = code;
// Everything is closed by now; this only guards against a stray handle keeping the process alive.
setTimeout(() => process.exit(code), 2000).unref();
