import { execFileSync, spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { portAccepts, RedisServer } from '@sessionkit/testing';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * True while the process runs. A zombie counts as gone: it is dead and holds no port, it only
 * waits for its parent (init, once its own parent died) to collect its exit status.
 */
function running(pid: number): boolean {
  try {
    const stat = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return stat !== '' && !stat.startsWith('Z');
  } catch {
    return false; // ps exits non-zero when there is no such process
  }
}

/** Live children of this process, as the OS sees them (ps itself excluded). */
function children(): Set<number> {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,stat=,comm='], { encoding: 'utf8' }).trim().split('\n');
  const pids = new Set<number>();
  for (const row of rows) {
    const [pid, ppid, stat, comm] = row.trim().split(/\s+/);
    if (Number(ppid) === process.pid && !stat!.startsWith('Z') && comm!.split('/').pop() !== 'ps') pids.add(Number(pid));
  }
  return pids;
}

async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('RedisServer', () => {
  it('start, then dispose: the process is gone, its port closed, its directory removed, and no child of ours is left', async () => {
    const before = children();
    const server = new RedisServer();
    await server.start();
    const pid = server.pid!;
    expect(running(pid)).toBe(true);
    expect(await portAccepts(server.port)).toBe(true);
    // Two new children: the server and the watchdog that kills it if this process dies first.
    const added = [...children()].filter((p) => !before.has(p));
    expect(added).toContain(pid);
    expect(added).toHaveLength(2);

    await server.dispose();
    expect(running(pid)).toBe(false);
    expect(await portAccepts(server.port)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    expect(children()).toEqual(before);
  });

  it('a second dispose, or a stop after it, is harmless', async () => {
    const server = await new RedisServer().start();
    await server.dispose();
    await expect(server.dispose()).resolves.toBeUndefined();
    await expect(server.stop('SIGKILL')).resolves.toBeUndefined();
    expect(server.pid).toBeUndefined();
  });

  it('a server that dies on its own takes its watchdog with it', async () => {
    const before = children();
    const server = await new RedisServer().start();
    process.kill(server.pid!, 'SIGKILL');
    await eventually('the server and its watchdog to exit', () => children().size === before.size);
    expect(children()).toEqual(before);
    await server.dispose();
  });

  /**
   * The case the exit hook cannot cover: the process that started the server is killed and never
   * runs its own cleanup. Without the watchdog, redis-server is adopted by init and keeps its port
   * (checked by hand before the watchdog was added). SIGTERM is included because Node's default
   * SIGTERM action also exits without running 'exit' handlers.
   */
  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`a server whose parent process is killed with ${signal} (no dispose, no exit hook) does not outlive it`, async () => {
      const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
      const fixture = fileURLToPath(new URL('./fixtures/start-server-and-wait.ts', import.meta.url));
      const parent = spawn(process.execPath, ['--import', 'tsx', fixture], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      parent.stderr.on('data', (chunk: Buffer) => {
        err += chunk.toString();
      });
      const started = await new Promise<{ pid: number; port: number; dir: string }>((resolve, reject) => {
        parent.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))));
        });
        parent.once('exit', (code) => reject(new Error(`fixture exited with ${code} before starting a server:\n${err}`)));
      });
      expect(running(started.pid)).toBe(true);
      expect(await portAccepts(started.port)).toBe(true);

      const exited = new Promise((resolve) => parent.once('exit', resolve));
      parent.kill(signal);
      await exited;
      await eventually(`redis-server ${started.pid} to exit after its parent`, async () => !running(started.pid) && !(await portAccepts(started.port)));
      // A server killed this way leaves its directory behind (see the README); this test's own.
      rmSync(started.dir, { recursive: true, force: true });
    });
  }
});
