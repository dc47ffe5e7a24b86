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

/** Every process this module started, so a crashed test run still leaves none behind. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
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

async function waitForPort(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`redis-server did not listen on ${port} within ${timeoutMs} ms:\n${log()}`);
}

/** A throwaway `redis-server` on a loopback port. */
export class RedisServer {
  readonly host = '127.0.0.1';
  port = 0;
  readonly dir: string;
  private child: ChildProcess | undefined;
  private output = '';
  private readonly ownsDir: boolean;

  constructor(private readonly options: RedisServerOptions = {}) {
    this.ownsDir = !options.dir;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'sessionkit-redis-'));
  }

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<this> {
    if (this.child) return this;
    const binary = await resolveRedisServer();
    this.port ||= this.options.port ?? (await freePort());
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', 'no',
      '--daemonize', 'no',
      '--protected-mode', 'no',
      ...(this.options.args ?? []),
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    installExitHook();
    live.add(child);
    child.once('exit', () => live.delete(child));
    const capture = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    child.stdout?.on('data', capture);
    child.stderr?.on('data', capture);
    this.child = child;
    await waitForPort(this.port, child, () => this.output);
    return this;
  }

  /** Stops the process. `signal` SIGKILL simulates a crash (no final save). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    live.delete(child);
  }

  /** Pauses/resumes the process (a "slow Redis" that accepts connections but never answers). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
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
    return this.output;
  }
}

export async function startRedisServer(options?: RedisServerOptions): Promise<RedisServer> {
  return new RedisServer(options).start();
}
