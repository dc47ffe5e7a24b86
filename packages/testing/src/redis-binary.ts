import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Env vars that name a redis-server binary explicitly, most specific first. */
const ENV_VARS = ['SESSIONKIT_REDIS_SERVER', 'REDISMS_SYSTEM_BINARY'] as const;

const HOW_TO_GET_ONE = [
  'No redis-server binary found. Any of these fixes it:',
  '  - Debian/Ubuntu: apt-get install -y redis-server',
  '  - macOS: brew install redis',
  '  - point SESSIONKIT_REDIS_SERVER (or REDISMS_SYSTEM_BINARY) at a redis-server binary',
  '  - on a machine with internet access: npm install redis-memory-server (it downloads and builds one)',
].join('\n');

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A sibling tool (redis-cli, redis-sentinel) next to the resolved server, or on PATH. */
export function siblingBinary(server: string, name: string): string | undefined {
  const beside = join(server, '..', name);
  if (isExecutable(beside)) return beside;
  return onPath(name);
}

let cached: string | undefined;

/**
 * Resolves redis-server in a fixed order: an explicit env var, a redis-server on PATH, then
 * redis-memory-server's own download (only works where the machine can reach the internet).
 */
export async function resolveRedisServer(): Promise<string> {
  if (cached) return cached;
  for (const name of ENV_VARS) {
    const value = process.env[name];
    if (!value) continue;
    if (!isExecutable(value)) throw new Error(`${name}=${value} is not an executable redis-server binary.\n${HOW_TO_GET_ONE}`);
    return (cached = value);
  }
  const fromPath = onPath('redis-server');
  if (fromPath) return (cached = fromPath);
  const downloaded = await fromRedisMemoryServer();
  if (downloaded) return (cached = downloaded);
  throw new Error(HOW_TO_GET_ONE);
}

async function fromRedisMemoryServer(): Promise<string | undefined> {
  try {
    // Optional: not a dependency of this repo, so the specifier is kept opaque to the bundler.
    const moduleName = 'redis-memory-server';
    const mod = (await import(moduleName)) as { RedisBinary?: { getPath(): Promise<string> } };
    return (await mod.RedisBinary?.getPath()) ?? undefined;
  } catch {
    return undefined;
  }
}

/** The server's version, e.g. "7.0.15"; used to pick commands that older servers lack. */
export function redisServerVersion(binary: string): string {
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  return /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}
