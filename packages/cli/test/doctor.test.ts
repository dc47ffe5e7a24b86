import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { parseDocumentedAcl } from '../build/documented-acl.js';
import { redisUrl, sessionkit, sessionkitJson } from './helpers.js';

/**
 * `sessionkit doctor` against real servers configured the ways it must tell apart: an evicting
 * cache configuration (fails, exit 1), noeviction with AOF (passes, exit 0), volatile-* (passes
 * with its trade-off), no persistence (warns), and the ACL user of docs/operations.md with and
 * without one of its rules.
 */

type Check = { id: string; status: 'pass' | 'warn' | 'fail'; detail: string; fix?: string };
const check = (json: { checks: Check[] }, id: string) => json.checks.find((c) => c.id === id)!;

describe('maxmemory-policy allkeys-lru', () => {
  const redis = useRedis(['--maxmemory-policy', 'allkeys-lru', '--maxmemory', '100mb']);

  it('fails, with the reason and the fix, and exits 1', async () => {
    const run = await sessionkitJson(['--url', redisUrl(redis.client()), 'doctor']);
    expect(run.code, run.stderr).toBe(1);
    expect(run.json.ok).toBe(false);
    const policy = check(run.json, 'maxmemory-policy');
    expect(policy.status).toBe('fail');
    expect(policy.detail).toContain('allkeys-lru');
    expect(policy.detail).toContain("evict a user's index while their sessions live on");
    expect(policy.detail).toContain('logout-everywhere');
    expect(policy.fix).toContain('CONFIG SET maxmemory-policy noeviction');

    const readable = await sessionkit(['--url', redisUrl(redis.client()), 'doctor']);
    expect(readable.code).toBe(1);
    expect(readable.stdout).toMatch(/^FAIL {2}maxmemory-policy: maxmemory-policy is allkeys-lru/m);
    expect(readable.stdout).toMatch(/^ +fix: CONFIG SET maxmemory-policy noeviction/m);
    expect(readable.stdout).toMatch(/, 1 failed$/m);
  });
});

describe('maxmemory-policy noeviction with AOF', () => {
  const redis = useRedis(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes', '--appendfsync', 'everysec']);

  it('passes every check that matters and exits 0', async () => {
    const run = await sessionkitJson(['--url', redisUrl(redis.client()), 'doctor', '--samples', '5']);
    expect(run.code, JSON.stringify(run.json, null, 2)).toBe(0);
    expect(run.json).toMatchObject({ ok: true, failed: 0, masters: 1 });
    expect(run.json.checks.map((c: Check) => c.id)).toEqual(['server', 'maxmemory-policy', 'persistence', 'acl', 'topology', 'latency']);
    for (const id of ['server', 'maxmemory-policy', 'persistence', 'acl', 'topology']) expect(check(run.json, id).status, id).toBe('pass');
    expect(check(run.json, 'server').detail).toMatch(/^Redis 7\.\d+\.\d+ /);
    expect(check(run.json, 'maxmemory-policy').detail).toContain('trade-off');
    expect(check(run.json, 'persistence').detail).toContain('AOF is on (appendfsync everysec)');
    expect(check(run.json, 'acl').detail).toMatch(/user "default" may run all \d+ commands the store needs/);
    // A latency figure, whatever it is on a loaded test machine (no timed assertion).
    expect(check(run.json, 'latency').detail).toMatch(/^5 round trips: min [\d.]+ ms, median [\d.]+ ms, max [\d.]+ ms/);
  });
});

describe('maxmemory-policy volatile-lru, no persistence', () => {
  const redis = useRedis(['--maxmemory-policy', 'volatile-lru']);

  it('volatile-* passes with its trade-off; no persistence warns; exit 0', async () => {
    const run = await sessionkitJson(['--url', redisUrl(redis.client()), 'doctor', '--samples', '3']);
    expect(run.code).toBe(0);
    const policy = check(run.json, 'maxmemory-policy');
    expect(policy.status).toBe('pass');
    expect(policy.detail).toContain('can still evict sessions, user indexes and tombstones');
    const persistence = check(run.json, 'persistence');
    expect(persistence.status).toBe('warn');
    expect(persistence.detail).toContain('a restart signs every user out');
    expect(persistence.fix).toContain('appendonly yes');
  });
});

describe('the ACL user of docs/operations.md', () => {
  const redis = useRedis(['--maxmemory-policy', 'noeviction']);
  const { rules } = parseDocumentedAcl(readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8'));
  const asUser = (name: string) => redisUrl(redis.client()).replace('//', `//${name}:pw@`);

  it('with exactly the documented rules: the ACL check passes', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'sessionkit', ...rules.map((r) => (r.startsWith('>') ? '>pw' : r)));
    const run = await sessionkitJson(['--url', asUser('sessionkit'), 'doctor', '--samples', '3']);
    const acl = check(run.json, 'acl');
    expect(acl.status, acl.detail).toBe('pass');
    expect(acl.detail).toContain('the connected user may run all');
    // That user cannot read the snapshot schedule (CONFIG is an admin command): said, not guessed.
    expect(check(run.json, 'persistence').detail).toContain('CONFIG GET save was refused');
    expect(run.code).toBe(0);
  });

  it('without +rename: fails, names the command and the rule to add, exit 1', async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'norename', ...rules.filter((r) => r !== '+rename').map((r) => (r.startsWith('>') ? '>pw' : r)));
    const run = await sessionkitJson(['--url', asUser('norename'), 'doctor', '--samples', '3']);
    expect(run.code).toBe(1);
    const acl = check(run.json, 'acl');
    expect(acl.status).toBe('fail');
    expect(acl.detail).toContain('refused the command RENAME');
    expect(acl.fix).toBe('ACL SETUSER <user> +rename');
  });

  it('without the index key pattern: names the pattern', async () => {
    const admin = redis.client();
    const narrowed = rules.filter((r) => r !== '~idx:sess:*').map((r) => (r.startsWith('>') ? '>pw' : r));
    await admin.call('ACL', 'SETUSER', 'nopattern', ...narrowed);
    const run = await sessionkitJson(['--url', asUser('nopattern'), 'doctor', '--samples', '3']);
    const acl = check(run.json, 'acl');
    expect(acl.status).toBe('fail');
    expect(acl.detail).toContain('keys matching idx:sess:*');
    expect(acl.fix).toBe('ACL SETUSER <user> ~idx:sess:*');
  });
});
