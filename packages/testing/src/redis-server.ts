import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRedisServer } from './redis-binary.js';

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. ['--appendonly', 'yes']. */
  args?: string[];
  /** Keep using this port (for restart tests); a free one is picked otherwise. */
  port?: number;
  /** Directory for RDB/AOF files; a fresh temporary one by default. */
  dir?: string;
}

/**
 * Servers this module started and has not stopped. The exit hook kills them when this process
 * exits normally (or through process.exit). It cannot run on a signal that kills the process
 * (SIGKILL, or SIGTERM/SIGINT without a handler): the watchdog below covers those.
 */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Waits for end-of-file on stdin, then SIGKILLs the pid in $1. Only this Node process holds the
 * write end of that pipe (Node opens it close-on-exec, so no other child inherits it), and the
 * kernel closes it when this process dies, whatever kills it.
 */
const WATCHDOG_SCRIPT = 'while read -r _; do :; done; kill -KILL "$1" 2>/dev/null';

export interface Watchdog {
  /** Stops watching (the server exited or is being stopped); resolves once the watchdog is gone. */
  retire(): Promise<void>;
}

/**
 * Starts a small `sh` that kills `child` if this process dies without stopping it: the case
 * where a test runner is killed with SIGKILL and its redis-server would otherwise be adopted by
 * init and run on. Best effort: if /bin/sh cannot be started, nothing watches (the exit hook
 * still runs on a normal exit), and a death in the moment between spawning the server and
 * spawning its watchdog leaves the server behind.
 */
export function startWatchdog(child: ChildProcess): Watchdog {
  if (child.pid === undefined) return { retire: async () => {} };
  const dog = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'sessionkit-watchdog', String(child.pid)], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  const gone = new Promise<void>((resolve) => {
    dog.once('exit', () => resolve());
    dog.once('error', () => resolve());
  });
  dog.stdin?.on('error', () => {});
  // Neither the watchdog nor its pipe may keep this process's event loop alive.
  dog.unref();
  (dog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return {
    retire() {
      if (dog.exitCode === null && dog.signalCode === null) dog.kill('SIGKILL');
      return gone;
    },
  };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A port picked free by `freePort` is bound by redis-server a moment later, and a test file running
 * in parallel can take it in between: redis-server then exits with "Address already in use" (a
 * cluster, which picks twelve ports, lost that race in a full run). The caller picks new ports.
 */
export function isPortTaken(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Address already in use');
}

/** Waits until `port` accepts connections; fails early, with the process's output, if it exits. */
export async function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000, name = 'redis-server'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}:\n${log()}`);
    if (await portAccepts(port)) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${name} did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
}

/**
 * A redis-server (or redis-sentinel) child as RedisServer and SentinelProcess keep it: killed
 * with this process (exit hook and watchdog), and its last 8,000 characters of output kept for
 * error messages.
 */
export class ManagedChild {
  private output = '';
  private readonly watchdog: Watchdog;

  constructor(readonly child: ChildProcess) {
    const watchdog = startWatchdog(child);
    installExitHook();
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      void watchdog.retire();
    });
    this.watchdog = watchdog;
    const capture = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
  }

  get log(): string {
    return this.output;
  }

  /** Stops the process (SIGKILL after 5 s); `signal` SIGKILL simulates a crash. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    // Retired first, so that no watchdog outlives its server and later signals a reused pid.
    await this.watchdog.retire();
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  }
}

/** A throwaway `redis-server` on a loopback port. */
export class RedisServer {
  readonly host = '127.0.0.1';
  port = 0;
  readonly dir: string;
  private managed: ManagedChild | undefined;
  /** The output of the last process started, kept after it stops. */
  private lastLog = () => '';
  private readonly ownsDir: boolean;

  constructor(private readonly options: RedisServerOptions = {}) {
    this.ownsDir = !options.dir;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sessionkit-redis-'));
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.managed?.child.pid;
  }

  async start(): Promise<this> {
    if (this.managed) return this;
    // A port this server picked itself may be taken before redis-server binds it: pick another.
    const picked = !this.port && this.options.port === undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (error) {
        if (!picked || attempt >= 3 || !isPortTaken(error)) throw error;
        // startOnce set it (the narrowing above does not know): stop the child that failed to bind.
        await (this.managed as ManagedChild | undefined)?.stop();
        this.managed = undefined;
        this.port = 0;
      }
    }
  }

  private async startOnce(): Promise<this> {
    const binary = await resolveRedisServer();
    this.port ||= this.options.port ?? (await freePort());
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      ...(this.options.args ?? []),
    ];
    const managed = new ManagedChild(spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.managed = managed;
    this.lastLog = () => managed.log;
    await waitForPort(this.port, managed.child, () => managed.log);
    return this;
  }

  /** Stops the process. `signal` SIGKILL simulates a crash (no final save). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const managed = this.managed;
    this.managed = undefined;
    await managed?.stop(signal);
  }

  /** Pauses/resumes the process (a "slow Redis" that accepts connections but never answers). */
  pause(): void {
    this.managed?.child.kill('SIGSTOP');
  }

  resume(): void {
    this.managed?.child.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the process and removes its temporary directory. */
  async dispose(): Promise<void> {
    await this.stop();
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
  }

  get log(): string {
    return this.lastLog();
  }
}

export async function startRedisServer(options?: RedisServerOptions): Promise<RedisServer> {
  return new RedisServer(options).start();
}
