import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Env vars that name a redis-server binary explicitly, most specific first. */
const REDIS_SERVER_ENV_VARS = ['SESSIONKIT_REDIS_SERVER', 'REDISMS_SYSTEM_BINARY'] as const;

const FIXES = [
  'Any of these fixes it:',
  '  - Debian/Ubuntu: apt-get install -y redis-server',
  '  - macOS: brew install redis',
  '  - set SESSIONKIT_REDIS_SERVER to the path of a redis-server binary',
  '  - npm install -D redis-memory-server: it is not a dependency of this repo, and once installed',
  '    step 3 downloads the Redis source from download.redis.io and builds it, which needs internet',
  "    access, make and a C compiler (the first time only; the build is cached). This repo's",
  '    package.json turns off its install-time download, so the first test run does it.',
].join('\n');

const NOTHING_FOUND = [
  'No redis-server binary found. Looked, in order, for:',
  '  1. SESSIONKIT_REDIS_SERVER, then REDISMS_SYSTEM_BINARY: neither is set',
  '  2. redis-server in a directory on PATH: none',
  '  3. the redis-memory-server package: not installed',
  FIXES,
].join('\n');

/** A regular file we may execute (accessSync alone accepts directories, which are "executable" too). */
function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** A sibling tool (redis-cli, redis-sentinel) next to the resolved server, or on PATH. */
export function siblingBinary(server: string, name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const beside = join(server, '..', name);
  if (isExecutable(beside)) return beside;
  return onPath(name, env);
}

let cached: string | undefined;

/**
 * Resolves redis-server in a fixed order: an explicit env var, a redis-server on PATH, then
 * redis-memory-server's own download (only where that package is installed and the machine can
 * reach the internet). An env var that names no executable file is an error, not a reason to fall
 * through: whoever set it meant that binary. `env` defaults to this process's environment, and
 * only that result is cached (tests resolve against environments of their own).
 */
export async function resolveRedisServer(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const own = env === process.env;
  if (own && cached) return cached;
  const found = await findRedisServer(env);
  if (own) cached = found;
  return found;
}

async function findRedisServer(env: NodeJS.ProcessEnv): Promise<string> {
  for (const name of REDIS_SERVER_ENV_VARS) {
    const value = env[name];
    if (!value) continue;
    if (!isExecutable(value)) throw new Error(`${name}=${value} is not an executable file. Point ${name} at a redis-server binary, or unset it.\n${FIXES}`);
    return value;
  }
  const fromPath = onPath('redis-server', env);
  if (fromPath) return fromPath;
  const downloaded = await fromRedisMemoryServer();
  if (downloaded) return downloaded;
  throw new Error(NOTHING_FOUND);
}

/** The binary redis-memory-server provides, or undefined when that package is not installed. */
async function fromRedisMemoryServer(): Promise<string | undefined> {
  type Module = { RedisBinary?: { getPath(): Promise<string> } };
  let mod: Module & { default?: Module };
  try {
    // Optional: not a dependency of this repo, so the specifier is kept opaque to the bundler.
    const moduleName = 'redis-memory-server';
    mod = (await import(moduleName)) as Module & { default?: Module };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') return undefined;
    throw error;
  }
  const binary = mod.RedisBinary ?? mod.default?.RedisBinary;
  if (!binary) throw new Error('redis-memory-server is installed but exports no RedisBinary: an unsupported version?');
  try {
    return await binary.getPath();
  } catch (error) {
    // Installed but unable to download or build (offline, no compiler): say so rather than "not found".
    throw new Error(`redis-memory-server is installed but could not provide redis-server: ${(error as Error).message}\n${FIXES}`, { cause: error });
  }
}

/** The server's version, e.g. "7.0.15"; used to pick commands that older servers lack. */
export function redisServerVersion(binary: string): string {
  const out = execFileSync(binary, ['--version'], { encoding: 'utf8' });
  return /v=(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}
