import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { expectNoStack, redisUrl, sessionkit, sessionkitJson } from './helpers.js';

/**
 * The binary as a user meets it before anything works: help, version, bad arguments (exit 2,
 * a message that says what is wrong), a Redis that is not there or refuses (exit 1, one clear
 * line, no stack trace), in both output modes.
 */

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/** A port nothing listens on: the 'discard' port, closed on any test machine. */
const NOWHERE = 'redis://127.0.0.1:9';

describe('help and version', () => {
  it('--help lists every command and exits 0', async () => {
    const run = await sessionkit(['--help']);
    expect(run.code).toBe(0);
    for (const command of ['list', 'revoke', 'stats', 'doctor', 'migrate']) expect(run.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(run.stdout).toContain('REDIS_CLUSTER_NODES');
  });

  it('each command has its own --help with --json', async () => {
    for (const command of ['list', 'revoke', 'stats', 'doctor', 'migrate']) {
      const run = await sessionkit([command, '--help']);
      expect(run.code, command).toBe(0);
      expect(run.stdout, command).toContain('--json');
    }
  });

  it('--version prints the package version', async () => {
    const run = await sessionkit(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });
});

describe('usage errors exit 2 and say what is wrong', () => {
  const cases: [string, string[], RegExp][] = [
    ['no command', [], /Usage: sessionkit/],
    ['an unknown command', ['lsit', '42'], /unknown command 'lsit'/],
    ['an unknown option', ['list', '42', '--jsn'], /unknown option '--jsn'/],
    ['a missing user id', ['list'], /missing required argument 'userId'/],
    ['an extra argument', ['list', '42', '43'], /too many arguments/],
    ['a --rate that is not a number', ['stats', '--rate', 'fast'], /--rate must be a non-negative whole number/],
    ['a negative --rate', ['migrate', '--rate', '-5'], /--rate/],
    ['revoke with neither ids nor --all', ['revoke', '42'], /name the sessions to revoke, or pass --all/],
    ['revoke with ids and --all', ['revoke', '42', 'abc', '--all'], /give session ids or --all, not both/],
    ['--except without --all', ['revoke', '42', 'abc', '--except', 'def'], /--except goes with --all/],
    ['two connection flags', ['--url', 'redis://a:1', '--cluster-nodes', 'b:2', 'list', '42'], /use one of --url, --cluster-nodes and --sentinels/],
    ['a URL that is not redis://', ['--url', 'http://localhost:6379', 'list', '42'], /expected a redis:\/\/ or rediss:\/\/ URL/],
    ['cluster nodes that are not host:port', ['--cluster-nodes', 'localhost', 'stats'], /expected a comma-separated list of host:port/],
    [
      'an index prefix inside the prefix',
      ['--prefix', 'app:', '--index-prefix', 'app:idx:', 'list', '42'],
      /--index-prefix .* must be non-empty and neither start with/,
    ],
    ['a bad --user-field', ['--url', NOWHERE, 'migrate', '--user-field', 'a..b'], /--user-field: expected a dotted path/],
  ];

  for (const [title, args, message] of cases) {
    it(title, async () => {
      const run = await sessionkit(args);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(message);
      expectNoStack(run.stderr);
      expect(run.stdout).toBe('');
    });
  }

  it('a bad REDIS_CLUSTER_NODES is a usage error too', async () => {
    const run = await sessionkit(['stats'], { REDIS_CLUSTER_NODES: 'not a node list' });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('REDIS_CLUSTER_NODES: expected a comma-separated list of host:port');
  });

  it('--json: a usage error found after parsing is one JSON document on stdout', async () => {
    const run = await sessionkitJson(['revoke', '42']);
    expect(run.code).toBe(2);
    expect(run.json).toEqual({ error: { type: 'usage', message: expect.stringContaining('--all') } });
  });
});

describe('a Redis that is not there', () => {
  it('exit 1, one line naming the address and the reason, no stack trace', async () => {
    const run = await sessionkit(['--url', NOWHERE, 'list', '42']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('sessionkit: cannot connect to Redis at redis://127.0.0.1:9 (--url): connect ECONNREFUSED 127.0.0.1:9');
    expectNoStack(run.stderr);
    expect(run.stdout).toBe('');
  });

  it('REDIS_URL is used when --url is not given, and its password is not printed', async () => {
    const run = await sessionkit(['doctor'], { REDIS_URL: 'redis://admin:hunter2@127.0.0.1:9' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('redis://***@127.0.0.1:9 (REDIS_URL)');
    expect(run.stderr).not.toContain('hunter2');
  });

  it('a cluster nobody answers for', async () => {
    const run = await sessionkit(['--cluster-nodes', '127.0.0.1:9', 'stats']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to Redis at cluster 127\.0\.0\.1:9 \(--cluster-nodes\): /);
    expectNoStack(run.stderr);
  });

  it('--json: the error is the JSON document', async () => {
    const run = await sessionkitJson(['--url', NOWHERE, 'stats']);
    expect(run.code).toBe(1);
    expect(run.json.error).toMatchObject({ type: 'connection', message: expect.stringContaining('ECONNREFUSED') });
  });
});

describe('a Redis that refuses', () => {
  const redis = useRedis();

  it('a user without the permissions: exit 1, the refusal in one line', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'nobody', 'on', '>pw', 'resetkeys', '-@all', '+info', '+time', '+eval');
    const url = redisUrl(admin).replace('//', '//nobody:pw@');
    for (const args of [['list', '42'], ['revoke', '42', '--all'], ['stats']]) {
      const run = await sessionkit(['--url', url, ...args]);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/^sessionkit: Redis (failed \w+|refused a command): NOPERM/m);
      expectNoStack(run.stderr);
    }
  });

  it('a wrong password', async () => {
    const run = await sessionkit(['--url', redisUrl(redis.client()).replace('//', '//nobody:wrong@'), 'list', '42']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot connect to Redis at redis:\/\/\*\*\*@127\.0\.0\.1:\d+ \(--url\): WRONGPASS/);
    expectNoStack(run.stderr);
  });
});
