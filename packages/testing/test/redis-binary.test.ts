import { createRequire } from 'node:module';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisServerVersion, resolveRedisServer } from '@sessionkit/testing';

/**
 * The resolver against environments built here: temp dirs holding symlinks to the real
 * redis-server (found the normal way), so every path it returns can be run.
 */
let real: string;
let root: string;
/** a, b: one symlink each, not named redis-server; path: a redis-server symlink; empty, decoys: no usable binary. */
const dirs: Record<'a' | 'b' | 'path' | 'empty' | 'decoys', string> = { a: '', b: '', path: '', empty: '', decoys: '' };
const link = (dir: string, name: string) => {
  symlinkSync(real, join(dir, name));
  return join(dir, name);
};
let binA: string;
let binB: string;

beforeAll(async () => {
  real = await resolveRedisServer();
  root = mkdtempSync(join(tmpdir(), 'sessionkit-resolver-'));
  for (const name of Object.keys(dirs) as (keyof typeof dirs)[]) {
    dirs[name] = join(root, name);
    mkdirSync(dirs[name]);
  }
  binA = link(dirs.a, 'redis-a');
  binB = link(dirs.b, 'redis-b');
  link(dirs.path, 'redis-server');
  // Entries named redis-server that must be skipped: a file without the execute bit, a directory.
  writeFileSync(join(dirs.decoys, 'redis-server'), '#!/bin/sh\nexit 1\n');
  chmodSync(join(dirs.decoys, 'redis-server'), 0o644);
  mkdirSync(join(dirs.empty, 'redis-server'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const memoryServerInstalled = (() => {
  try {
    createRequire(import.meta.url).resolve('redis-memory-server');
    return true;
  } catch {
    return false;
  }
})();

describe('resolveRedisServer(env)', () => {
  it('an explicit env var wins over PATH; SESSIONKIT_REDIS_SERVER before REDISMS_SYSTEM_BINARY', async () => {
    const PATH = dirs.path;
    expect(await resolveRedisServer({ PATH, SESSIONKIT_REDIS_SERVER: binA, REDISMS_SYSTEM_BINARY: binB })).toBe(binA);
    expect(await resolveRedisServer({ PATH, REDISMS_SYSTEM_BINARY: binB })).toBe(binB);
    // Empty means unset.
    expect(await resolveRedisServer({ PATH, SESSIONKIT_REDIS_SERVER: '', REDISMS_SYSTEM_BINARY: binB })).toBe(binB);
    expect(redisServerVersion(binA)).toBe(redisServerVersion(real));
  });

  it('an env var that names no executable file is an error naming the variable, even when PATH has one', async () => {
    const PATH = dirs.path;
    const cases: [Record<string, string>, string, string][] = [
      [{ SESSIONKIT_REDIS_SERVER: join(root, 'missing') }, 'SESSIONKIT_REDIS_SERVER', join(root, 'missing')],
      [{ SESSIONKIT_REDIS_SERVER: dirs.a, REDISMS_SYSTEM_BINARY: binB }, 'SESSIONKIT_REDIS_SERVER', dirs.a],
      [{ REDISMS_SYSTEM_BINARY: join(dirs.decoys, 'redis-server') }, 'REDISMS_SYSTEM_BINARY', join(dirs.decoys, 'redis-server')],
    ];
    for (const [vars, name, value] of cases) {
      const error = await resolveRedisServer({ PATH, ...vars }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error, name).toBeInstanceOf(Error);
      expect(error!.message).toContain(`${name}=${value} is not an executable file`);
    }
  });

  it('finds redis-server on PATH, skipping entries that are not executable files', async () => {
    const PATH = [dirs.empty, dirs.decoys, dirs.path].join(delimiter);
    const found = await resolveRedisServer({ PATH });
    expect(found).toBe(join(dirs.path, 'redis-server'));
    expect(redisServerVersion(found)).toBe(redisServerVersion(real));
  });

  it.skipIf(memoryServerInstalled)('with nothing to find, says what it tried and how to get a binary', async () => {
    for (const PATH of ['', [dirs.empty, dirs.decoys].join(delimiter)]) {
      const error = await resolveRedisServer({ PATH }).then(
        () => null,
        (e: unknown) => e as Error,
      );
      expect(error).toBeInstanceOf(Error);
      const message = error!.message;
      expect(message).toMatch(/^No redis-server binary found/);
      expect(message).toContain('SESSIONKIT_REDIS_SERVER, then REDISMS_SYSTEM_BINARY: neither is set');
      expect(message).toContain('redis-memory-server package: not installed');
      expect(message).toContain('apt-get install -y redis-server');
      expect(message).toContain('npm install -D redis-memory-server');
      expect(message).toMatch(/needs internet\s+access/);
    }
  });
});
