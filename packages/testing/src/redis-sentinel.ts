import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveRedisServer } from './redis-binary.js';
import { adminCommand, parseInfo, poll, type ClusterAddress } from './redis-cluster.js';
import { freePort, ManagedChild, RedisServer, waitForPort } from './redis-server.js';

export interface RedisSentinelOptions {
  /** The monitored master's name, as clients pass it (`new Redis({ sentinels, name })`). Default 'mymaster'. */
  name?: string;
  /** Sentinel processes. Default 3. */
  sentinels?: number;
  /** Sentinels that must agree the primary is down. Default 2. */
  quorum?: number;
  /** `down-after-milliseconds`: how long the primary may be silent before a sentinel calls it down. Default 1000. */
  downAfterMs?: number;
  /** `failover-timeout`. Default 5000. */
  failoverTimeoutMs?: number;
  /** Extra `redis-server` arguments for the primary and the replica. */
  args?: string[];
  /** How long to wait for the sentinels to see the primary, the replica and each other. Default 30 000 ms. */
  timeoutMs?: number;
}

function parseFlatMap(reply: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  const list = reply as string[];
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = String(list[i + 1]);
  return fields;
}

/** One `redis-server <conf> --sentinel` process (a sentinel needs a writable config file: it rewrites it). */
export class SentinelProcess {
  readonly host = '127.0.0.1';
  port = 0;
  readonly dir: string;
  private managed: ManagedChild | undefined;
  private lastLog = () => '';

  constructor(private readonly config: (port: number, dir: string) => string) {
    this.dir = mkdtempSync(join(tmpdir(), 'sessionkit-sentinel-'));
  }

  async start(): Promise<this> {
    if (this.managed) return this;
    const binary = await resolveRedisServer();
    this.port ||= await freePort();
    const file = join(this.dir, 'sentinel.conf');
    writeFileSync(file, this.config(this.port, this.dir));
    // Like a RedisServer: killed with this process, even when SIGKILL skips the exit hook.
    const managed = new ManagedChild(spawn(binary, [file, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    this.managed = managed;
    this.lastLog = () => managed.log;
    await waitForPort(this.port, managed.child, () => managed.log, 10_000, 'redis-sentinel');
    return this;
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const managed = this.managed;
    this.managed = undefined;
    await managed?.stop(signal);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get log(): string {
    return this.lastLog();
  }
}

export interface SentinelFailoverResult {
  /** The address the sentinels now hand out for the master name. */
  newPrimary: ClusterAddress;
  /** From the kill until the sentinels agree on a new primary that answers as a master. */
  ms: number;
}

/**
 * A primary, a replica and `sentinels` sentinels (default 3, quorum 2) on loopback ports.
 * `primary` and `replica` are the processes as started; after a failover ask `currentPrimary()`.
 */
export class RedisSentinel {
  readonly name: string;
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  readonly sentinelProcesses: SentinelProcess[] = [];
  private disposed = false;
  private readonly killed = new Set<number>();

  constructor(private readonly options: RedisSentinelOptions = {}) {
    this.name = options.name ?? 'mymaster';
    if (!/^[A-Za-z0-9._-]+$/.test(this.name)) throw new Error(`sentinel master name ${JSON.stringify(this.name)} must be [A-Za-z0-9._-]+`);
    const args = ['--repl-diskless-sync-delay', '0', ...(options.args ?? [])];
    this.primary = new RedisServer({ args });
    this.replica = new RedisServer({ args });
  }

  /** Sentinel addresses, for `new Redis({ sentinels, name })`. */
  get sentinels(): ClusterAddress[] {
    return this.sentinelProcesses.map((s) => ({ host: s.host, port: s.port }));
  }

  async start(): Promise<this> {
    const count = this.options.sentinels ?? 3;
    const quorum = this.options.quorum ?? 2;
    const downAfter = this.options.downAfterMs ?? 1000;
    const failoverTimeout = this.options.failoverTimeoutMs ?? 5000;
    try {
      await this.primary.start();
      await this.replica.start();
      await adminCommand(this.replica, 'REPLICAOF', this.primary.host, this.primary.port);
      await poll('the replica to sync', 15_000, async () => {
        const info = parseInfo(await adminCommand<string>(this.replica, 'INFO', 'replication'));
        return info.master_link_status === 'up';
      });
      for (let i = 0; i < count; i++) {
        this.sentinelProcesses.push(
          new SentinelProcess((port, dir) =>
            [
              `port ${port}`,
              'bind 127.0.0.1',
              'protected-mode no',
              'daemonize no',
              `dir ${dir}`,
              `sentinel monitor ${this.name} ${this.primary.host} ${this.primary.port} ${quorum}`,
              `sentinel down-after-milliseconds ${this.name} ${downAfter}`,
              `sentinel failover-timeout ${this.name} ${failoverTimeout}`,
              `sentinel parallel-syncs ${this.name} 1`,
              '',
            ].join('\n'),
          ),
        );
      }
      await Promise.all(this.sentinelProcesses.map((s) => s.start()));
      await this.waitUntilHealthy(this.options.timeoutMs ?? 30_000);
    } catch (error) {
      const logs = this.sentinelProcesses.map((s) => `--- sentinel ${s.port}\n${s.log.slice(-1500)}`).join('\n');
      await this.dispose();
      throw new Error(`Sentinel setup did not become healthy: ${(error as Error).message}\n${logs}`, { cause: error });
    }
    return this;
  }

  /** Every live sentinel sees the same primary, at least one replica in sync, and all the other sentinels. */
  async waitUntilHealthy(timeoutMs = 30_000): Promise<void> {
    const others = this.sentinelProcesses.length - 1;
    await poll(
      'the sentinels to see the primary, its replica and each other',
      timeoutMs,
      async () => {
        const addresses = new Set<string>();
        for (const s of this.sentinelProcesses) {
          const master = parseFlatMap(await adminCommand(s, 'SENTINEL', 'MASTER', this.name));
          if (master.flags !== 'master' || Number(master['num-other-sentinels']) < others) return false;
          const replicas = ((await adminCommand(s, 'SENTINEL', 'REPLICAS', this.name)) as unknown[]).map(parseFlatMap);
          if (!replicas.some((r) => r.flags === 'slave' && r['master-link-status'] === 'ok' && !this.killed.has(Number(r.port)))) return false;
          addresses.add(`${master.ip}:${master.port}`);
        }
        return addresses.size === 1;
      },
      100,
    );
  }

  /** The primary the sentinels currently hand out. */
  async currentPrimary(): Promise<ClusterAddress> {
    let lastError: unknown;
    for (const s of this.sentinelProcesses) {
      try {
        const [host, port] = await adminCommand<[string, string]>(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
        return { host, port: Number(port) };
      } catch (error) {
        lastError = error;
      }
    }
    throw new Error(`no sentinel answered: ${String(lastError)}`);
  }

  /** Kills the current primary (SIGKILL by default: a crash). Returns its address. */
  async killPrimary(signal: NodeJS.Signals = 'SIGKILL'): Promise<ClusterAddress> {
    const address = await this.currentPrimary();
    const server = [this.primary, this.replica].find((s) => s.port === address.port);
    if (!server) throw new Error(`the sentinels name ${address.host}:${address.port}, which this topology did not start`);
    this.killed.add(server.port);
    await server.stop(signal);
    return address;
  }

  /** Waits until every sentinel names a new primary that answers ROLE as master. `since` is the kill time (Date.now()). */
  async waitForFailover(old: ClusterAddress, since: number, timeoutMs = 30_000): Promise<SentinelFailoverResult> {
    let newPrimary: ClusterAddress | undefined;
    await poll(
      `the sentinels to replace ${old.host}:${old.port}`,
      timeoutMs,
      async () => {
        const seen = new Set<string>();
        for (const s of this.sentinelProcesses) {
          const [host, port] = await adminCommand<[string, string]>(s, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.name);
          seen.add(`${host}:${port}`);
          newPrimary = { host, port: Number(port) };
        }
        if (seen.size !== 1 || newPrimary!.port === old.port) return false;
        const role = await adminCommand<unknown[]>(newPrimary!, 'ROLE');
        return role[0] === 'master';
      },
      100,
    );
    return { newPrimary: newPrimary!, ms: Date.now() - since };
  }

  /** Stops every process and removes every temporary directory. Safe to call twice, and after a failed start. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.allSettled([...this.sentinelProcesses.map((s) => s.dispose()), this.primary.dispose(), this.replica.dispose()]);
  }
}

/** Starts a primary, a replica and the sentinels, and waits until the sentinels agree on the setup. */
export async function startRedisSentinel(options?: RedisSentinelOptions): Promise<RedisSentinel> {
  return new RedisSentinel(options).start();
}
