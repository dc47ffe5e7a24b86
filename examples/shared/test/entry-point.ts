import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';

/**
 * Runs an example's `src/main.ts` as `npm run example:*` does (tsx from the repository root,
 * after `npm run build`: the entry point imports the built packages), in a child process of its
 * own, and kills whatever is left of it after each test.
 */

const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

export interface EmbeddedRedis {
  pid: number;
  port: number;
  dir: string;
}

export interface RunningMain {
  /** The `http://localhost:<port>` the process printed. */
  url: string;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** The redis-server it started, when no REDIS_* variable was given. */
  embedded: EmbeddedRedis | undefined;
  /** Sends `signal` and resolves with how the process ended. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const READY_TIMEOUT_MS = 30_000; // tsx compiles the app on start; two shared cores can be slow
const STOP_TIMEOUT_MS = 10_000;

interface Started {
  child: ChildProcess;
  embedded: EmbeddedRedis | undefined;
}
const started = new Set<Started>();

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Call once per test file. The child runs in its own process group (`detached`), so that a
 * test failing before SIGTERM can kill the group: the entry point and the redis-server it
 * spawned, which would otherwise outlive a SIGKILLed parent.
 */
export function useEntryPoint(mainPath: string) {
  afterEach(async () => {
    for (const run of [...started]) {
      started.delete(run);
      const { child, embedded } = run;
      if (child.exitCode === null && child.signalCode === null) {
        const done = exited(child);
        killGroup(child);
        await done;
      }
      if (embedded) {
        // Still there when the entry point failed to stop it (what the tests check), or for the
        // moment a group kill takes to land.
        if (processExists(embedded.pid)) process.kill(embedded.pid, 'SIGKILL');
        for (let i = 0; i < 100 && processExists(embedded.pid); i++) await new Promise((r) => setTimeout(r, 20));
        rmSync(embedded.dir, { recursive: true, force: true });
      }
    }
  });

  return async function startMain(env: Record<string, string> = {}): Promise<RunningMain> {
    // No REDIS_* from the developer's shell: without them the entry point embeds its own Redis.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REDIS_')));
    const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
      cwd: repoRoot,
      // A cast: Next's types (examples/next-app) make NODE_ENV a required key of ProcessEnv.
      env: { ...inherited, ...env } as NodeJS.ProcessEnv,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: Started = { child, embedded: undefined };
    started.add(run);
    let output = '';
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${mainPath} printed no URL within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const redis = /embedded redis-server, pid (\d+), data in (.+?);/.exec(output);
        const port = /Redis: redis:\/\/127\.0\.0\.1:(\d+) \(embedded/.exec(output);
        if (redis && port && !run.embedded) run.embedded = { pid: Number(redis[1]), port: Number(port[1]), dir: redis[2]! };
        const listening = /listening on (http:\/\/localhost:\d+)/.exec(output);
        if (listening) {
          clearTimeout(timer);
          resolve(listening[1]!);
        }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${mainPath} exited (code ${code}, signal ${signal}) before listening:\n${output}`));
      });
    });
    return {
      url,
      output: () => output,
      embedded: run.embedded,
      async stop(signal = 'SIGTERM') {
        const done = exited(child);
        child.kill(signal);
        const timer = setTimeout(() => killGroup(child), STOP_TIMEOUT_MS);
        const result = await done;
        clearTimeout(timer);
        return result;
      },
    };
  };
}

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is already gone
  }
}

/** Whether a process with this pid exists (signal 0 checks without sending anything). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an example's entry point that is expected to stop by itself (a start-up failure) and
 * resolves with its exit and what it printed on each stream. No REDIS_* or SESSIONKIT_REDIS_SERVER
 * from the developer's shell; a process still running after `limitMs` is killed and fails the test.
 */
export async function runToExit(mainPath: string, env: Record<string, string>, limitMs = 60_000): Promise<Ended> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('REDIS_') && name !== 'SESSIONKIT_REDIS_SERVER'));
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    cwd: repoRoot,
    env: { ...inherited, ...env } as NodeJS.ProcessEnv,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timer = setTimeout(() => killGroup(child), limitMs);
  const { code, signal } = await exited(child);
  clearTimeout(timer);
  if (signal === 'SIGKILL') throw new Error(`${mainPath} was still running after ${limitMs} ms:\n${stdout}${stderr}`);
  return { code, signal, stdout, stderr };
}
