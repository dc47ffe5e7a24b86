import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyRing, sealedKeyId } from '@sessionkit/core';
import { commandCalls, freePort, recordData, sessionKey, useRedis } from '@sessionkit/testing';
import { useEntryPoint, type RunningMain } from '../../shared/test/entry-point.js';
import { Agent } from './helpers.js';

/**
 * Key rotation on the real Express entry point, as docs/operations.md gives the recipe: devices
 * signed in under K1; the app restarted with K2,K1; `sessionkit reencrypt` (the built binary) run
 * to completion while every device keeps sending requests, some of them signing in again (the
 * example's write: a new session, the old one destroyed); then the app on K2 alone. No device is
 * signed out, no acknowledged sign-in is lost, no destroyed session comes back.
 */

const MAIN = 'examples/express-app/src/main.ts';
const SECRET = 'rotation test secret';
const CLI = fileURLToPath(new URL('../../../packages/cli/dist/bin.js', import.meta.url));

const K1 = randomBytes(32).toString('base64');
const K2 = randomBytes(32).toString('base64');
const K1_ID = new KeyRing([K1]).currentId;
const K2_ID = new KeyRing([K2]).currentId;

/** Devices that only read (their K1 sessions are rewritten under them) and devices that also sign in again. */
const READERS = 8;
const WRITERS = 8;
/** Keys of another app sharing the Redis: a paced walk over them keeps the reencrypt running for a while. */
const OTHER_KEYS = 300;
/** Keys per second the reencrypt walks: a few seconds over this keyspace, requests in flight throughout. */
const RATE = 100;
/**
 * A writer signs in again every this many of its requests: each sign-in leaves a key (the old
 * session's tombstone), and a walk paced below the rate they appear at would never end.
 */
const WRITE_EVERY = 10;

const USERS = [
  { username: 'alice', name: 'Alice Liddell' },
  { username: 'bob', name: 'Bob Marley' },
] as const;

interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built `sessionkit` binary, as `npx sessionkit` runs it, with only SESSION_ENCRYPTION_KEYS and --url pointing it. */
function sessionkit(args: string[], keys: string | undefined): { done: Promise<Cli>; kill(): void } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^REDIS_|^SESSIONKIT_|^SESSION_ENCRYPTION_KEYS$/.test(name)));
  const child = spawn(process.execPath, [CLI, ...args], { env: keys ? { ...env, SESSION_ENCRYPTION_KEYS: keys } : env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Cli>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { done, kill: () => child.kill('SIGKILL') };
}

async function sessionkitJson(args: string[], keys?: string) {
  const run = await sessionkit([...args, '--json'], keys).done;
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout);
}

/** One device: a cookie jar, whose user it signed in as last (acknowledged with a 303), and the cookies it was given before. */
interface Device {
  agent: Agent;
  user: (typeof USERS)[number];
  superseded: string[];
}

const startMain = useEntryPoint(MAIN);

describe('key rotation on the Express entry point, with `sessionkit reencrypt` racing requests', () => {
  const redis = useRedis();
  let admin: Redis;
  let url: string;
  beforeAll(() => {
    admin = redis.client();
    url = `redis://${admin.options.host}:${admin.options.port}`;
  });

  const start = async (keys: string): Promise<RunningMain> =>
    startMain({ PORT: String(await freePort()), SESSION_SECRET: SECRET, REDIS_URL: url, SESSION_ENCRYPTION_KEYS: keys });

  /** The key id a device's current session is stored under ('gone' for no record: destroyed or never written). */
  const keyIdOf = async (device: Device): Promise<string> => {
    const value = await admin.get(sessionKey(device.agent.sid!));
    return value?.startsWith('~1') ? (sealedKeyId(recordData(value)) ?? 'clear') : 'gone';
  };

  it('K1, then K2,K1 with reencrypt run under load, then K2 alone: every device signed in, every sign-in kept, nothing revived, only K2 in use', async () => {
    await admin.mset(Object.fromEntries(Array.from({ length: OTHER_KEYS }, (_, i) => [`cache:${i}`, 'x'])));

    // 1. The app on K1; every device signs in.
    const first = await start(K1);
    const devices: Device[] = Array.from({ length: READERS + WRITERS }, (_, i) => ({
      agent: new Agent(`RotationDevice/${i} (X11; Linux x86_64)`),
      user: USERS[i % 2]!,
      superseded: [],
    }));
    for (const device of devices) await device.agent.signIn(first.url, device.user.username);
    for (const device of devices) expect(await keyIdOf(device)).toBe(K1_ID);
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });

    // 2. Restarted on K2,K1 (step 2 of the recipe): every device still signed in, reading its K1 session.
    const second = await start(`${K2},${K1}`);
    for (const device of devices) expect(await device.agent.whoAmI(second.url)).toBe(device.user.name);
    const initial = new Map(devices.map((device) => [device, device.agent.sid!]));
    // The app runs each Lua script by EVAL the first time only (EVALSHA after): a spare device
    // takes every route the run uses once, so that from here on every EVAL is one of the
    // reencrypt's guarded rewrites, and EVALs beyond those it made are rewrites that lost to a
    // concurrent write.
    const spare = new Agent('RotationSpare/1');
    await spare.signIn(second.url, 'alice');
    await spare.whoAmI(second.url);
    await spare.signIn(second.url, 'bob');
    expect((await spare.post(`${second.url}/logout`)).status).toBe(303);
    await admin.config('RESETSTAT');

    const requests: { start: number; end: number; write: boolean }[] = [];
    const problems: string[] = [];
    /** A request, timed, so that the test can show it overlapped the reencrypt. */
    const timed = async <T>(write: boolean, request: () => Promise<T>): Promise<T> => {
      const begun = performance.now();
      const result = await request();
      requests.push({ start: begun, end: performance.now(), write });
      return result;
    };

    const cliStarted = performance.now();
    const run = sessionkit(['--url', url, 'reencrypt', '--rate', String(RATE), '--json'], `${K2},${K1}`);
    let running = true;
    let cliEnded = Infinity;
    const ended = run.done.then((result) => {
      cliEnded = performance.now();
      running = false;
      return result;
    });
    // Signing in again destroys the K1 session, so the writers wait until the reencrypt is seen
    // rewriting (some device's K1 session now under K2): their destroys then land while it walks.
    let rewriteSeen = Infinity;
    const watch = (async () => {
      while (running && rewriteSeen === Infinity) {
        for (const [device, sid] of initial) {
          const value = await admin.get(sessionKey(sid));
          if (device.agent.sid === sid && value?.startsWith('~1') && sealedKeyId(recordData(value)) === K2_ID) rewriteSeen = performance.now();
        }
        await sleep(10);
      }
    })();

    const loops = devices.map(async (device, i) => {
      const writer = i >= READERS;
      try {
        for (let round = 0; running; round++) {
          if (writer && rewriteSeen !== Infinity && round % WRITE_EVERY === 0) {
            const next = USERS.find((user) => user !== device.user)!;
            const before = device.agent.cookies.get('sid')!;
            const res = await timed(true, () => device.agent.post(`${second.url}/login`, { username: next.username, password: 'password' }));
            if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
            device.superseded.push(before);
            device.user = next;
          }
          const name = await timed(false, () => device.agent.whoAmI(second.url));
          if (name !== device.user.name) problems.push(`device ${i}: expected ${device.user.name}, got ${name}`);
        }
      } catch (error) {
        problems.push(`device ${i}: ${(error as Error).message}`);
      }
    });
    const result = await ended;
    await Promise.all([...loops, watch]);
    const guardedRewrites = await commandCalls(admin, 'eval');

    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(problems).toEqual([]);
    expect(report).toMatchObject({ complete: true, currentKeyId: K2_ID, unreadable: 0 });
    // The readers' sessions were under K1 and saved by nobody else: the reencrypt rewrote them.
    expect(report.rewritten).toBeGreaterThanOrEqual(READERS);

    // The race was real: requests ran, and sign-ins were acknowledged, while the reencrypt ran
    // and after it had begun rewriting.
    const during = requests.filter((r) => r.start > cliStarted && r.end < cliEnded);
    const writesWhileRewriting = requests.filter((r) => r.write && r.end > rewriteSeen && r.end < cliEnded);
    console.log(
      `rotation: ${requests.length} requests in all, ${during.length} begun and answered while reencrypt ran ` +
        `(${Math.round(cliEnded - cliStarted)} ms), ${writesWhileRewriting.length} sign-ins acknowledged after its first rewrite was seen; ` +
        `reencrypt: records ${report.records}, rewritten ${report.rewritten}, already current ${report.alreadyCurrent}, ` +
        `changed meanwhile ${report.changedMeanwhile}, guarded rewrites that lost to a concurrent write ${guardedRewrites - report.rewritten}, walked ${report.scan.keysWalked} keys in ${report.scan.seconds} s`,
    );
    expect(rewriteSeen).toBeLessThan(cliEnded);
    expect(during.length).toBeGreaterThan(devices.length);
    expect(writesWhileRewriting.length).toBeGreaterThan(0);
    expect(devices.slice(READERS).every((device) => device.superseded.length > 0)).toBe(true);

    // 3. Only K2 in use (step 4), then the app on K2 alone (step 5).
    const stats = await sessionkitJson(['--url', url, 'stats']);
    expect(stats.encryption).toEqual({ [K2_ID]: devices.length });
    expect(await second.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const third = await start(K2);
    for (const device of devices) {
      expect(await device.agent.whoAmI(third.url), 'a device was signed out, or a sign-in lost').toBe(device.user.name);
      expect(await keyIdOf(device)).toBe(K2_ID);
    }
    // Every session a sign-in replaced stays gone: no rewrite brought one back.
    for (const cookie of devices.flatMap((device) => device.superseded)) {
      const old = new Agent();
      old.cookies.set('sid', cookie);
      expect(await old.whoAmI(third.url), 'a destroyed session came back').toBeNull();
    }
    expect(third.output()).not.toMatch(/corrupt/i);
    expect(await third.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 180_000);
});
