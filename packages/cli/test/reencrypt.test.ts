import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KeyRing, sealedKeyId, SessionStore } from '@sessionkit/core';
import { commandCalls, recordData, useRedis } from '@sessionkit/testing';
import { replaceIfUnchanged } from '../src/commands/reencrypt.js';
import { expectNoStack, redisUrl, sessionkit, sessionkitJson, spawnSessionkit } from './helpers.js';

/**
 * Key rotation with `sessionkit reencrypt`, and `sessionkit stats`' key ids, on a real Redis:
 * sessions written under an old key (and in clear) are rewritten under the current one without
 * losing a concurrent save or reviving a revoked session, resumably.
 */

const redis = useRedis();
let admin: Redis;
let url: string;

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');
const keyC = randomBytes(32).toString('base64');
const idA = new KeyRing([keyA]).currentId;
const idB = new KeyRing([keyB]).currentId;
const newId = () => randomBytes(24).toString('base64url');

const store = (keys?: string[]) => new SessionStore({ client: admin, hashIds: true, ...(keys ? { encryptionKeys: keys } : {}) });
/** The key ids of a stored record's data part ('clear' when not encrypted). */
const dataKeyId = async (key: string) => sealedKeyId(recordData((await admin.get(key))!)) ?? 'clear';

beforeAll(() => {
  admin = redis.client();
  url = redisUrl(admin);
});

beforeEach(async () => {
  await admin.flushall();
});

/** Writes sessions through a store with `keys` (clear without), owned by u<i % 5>, with meta. */
async function writeSessions(count: number, keys?: string[]): Promise<string[]> {
  const writer = store(keys);
  const ids = Array.from({ length: count }, newId);
  await Promise.all(ids.map((id, i) => writer.set(id, { n: i, secret: `data-${i}` }, { userId: `u${i % 5}`, meta: { ua: `agent-${i}` } })));
  return ids;
}

describe('sessionkit stats: key ids in use', () => {
  it('counts records per key id, clear ones as clear', async () => {
    await writeSessions(2);
    await writeSessions(3, [keyA]);
    const { json, code } = await sessionkitJson(['--url', url, 'stats']);
    expect(code).toBe(0);
    expect(json.encryption).toEqual({ clear: 2, [idA]: 3 });
    const text = await sessionkit(['--url', url, 'stats']);
    expect(text.stdout).toContain(`${idA} 3`);
  });
});

describe('sessionkit list: devices of encrypted sessions', () => {
  it('shows the devices with SESSION_ENCRYPTION_KEYS, and none (nor a crash) without', async () => {
    await writeSessions(5, [keyA]);
    const withKeys = await sessionkitJson(['--url', url, 'list', 'u0'], { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    expect(withKeys.json.sessions.map((s: { meta?: { ua: string } }) => s.meta?.ua)).toEqual(['agent-0']);
    const without = await sessionkitJson(['--url', url, 'list', 'u0'], { SESSION_ENCRYPTION_KEYS: undefined });
    expect(without.code).toBe(0);
    expect(without.json.sessions).toHaveLength(1);
    expect(without.json.sessions[0].meta).toBeUndefined();
  });
});

describe('sessionkit reencrypt', () => {
  it('rewrites every session under the current key; they stay readable, keep their TTL and index, and the old key can go', async () => {
    const clear = await writeSessions(3);
    const old = await writeSessions(5, [keyA]);
    const ttlBefore = await admin.pttl(store().keys.session(old[0]!));
    const dry = await sessionkitJson(['--url', url, 'reencrypt', '--dry-run'], { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    expect(dry.json).toMatchObject({ dryRun: true, complete: true, records: 8, wouldRewrite: 8, alreadyCurrent: 0, before: { clear: 3, [idA]: 5 } });
    expect(await dataKeyId(store().keys.session(old[0]!))).toBe(idA);

    const run = await sessionkitJson(['--url', url, 'reencrypt'], { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    expect(run.code, run.stderr).toBe(0);
    expect(run.json).toMatchObject({ complete: true, cursor: null, currentKeyId: idB, records: 8, rewritten: 8, unreadable: 0 });
    for (const text of [run.stdout, run.stderr]) {
      expect(text).not.toContain(keyA);
      expect(text).not.toContain(keyB);
    }
    // Under key B only: the app drops key A and every session still reads, meta included.
    const retired = store([keyB]);
    for (const [i, id] of [...clear, ...old].entries()) {
      expect(await dataKeyId(retired.keys.session(id))).toBe(idB);
      const got = await retired.get(id);
      expect(got?.data).toMatchObject({ secret: expect.stringMatching(/^data-/) });
      expect(got?.meta?.ua).toMatch(/^agent-/);
      expect(i).toBeGreaterThanOrEqual(0);
    }
    expect(await admin.pttl(retired.keys.session(old[0]!))).toBeLessThanOrEqual(ttlBefore);
    expect(await admin.pttl(retired.keys.session(old[0]!))).toBeGreaterThan(ttlBefore - 60_000);
    expect((await retired.listUserSessions('u0')).map((s) => s.meta?.ua).sort()).toEqual(['agent-0', 'agent-0']);
    const again = await sessionkitJson(['--url', url, 'reencrypt'], { SESSION_ENCRYPTION_KEYS: keyB });
    expect(again.json).toMatchObject({ rewritten: 0, alreadyCurrent: 8 });
    const stats = await sessionkitJson(['--url', url, 'stats']);
    expect(stats.json.encryption).toEqual({ [idB]: 8 });
  });

  it('a guarded rewrite loses to a save or a revocation that landed after the read: the save is kept, the revoked session stays revoked', async () => {
    const [saved, revoked, expired] = await writeSessions(3, [keyA]);
    const cli = store([keyB, keyA]);
    const app = store([keyA]); // an instance still on the old ring
    const key = (id: string) => cli.keys.session(id);
    const read = await Promise.all([saved, revoked, expired].map(async (id) => (await admin.get(key(id!)))!));
    const next = read.map((value, i) => cli.resealed(cli.sessionHandle([saved, revoked, expired][i]!), value)!);
    // Between the read and the rewrite: a save, a sign-out, an expiry.
    await app.set(saved!, { n: 'saved meanwhile' }, { userId: 'u0' });
    expect(await app.destroy(revoked!, { userId: 'u1' })).toBe(true);
    await admin.del(key(expired!));
    expect(await replaceIfUnchanged(admin, key(saved!), read[0]!, next[0]!)).toBe(false);
    expect(await replaceIfUnchanged(admin, key(revoked!), read[1]!, next[1]!)).toBe(false);
    expect(await replaceIfUnchanged(admin, key(expired!), read[2]!, next[2]!)).toBe(false);
    expect((await cli.get(saved!))?.data).toEqual({ n: 'saved meanwhile' });
    expect(await cli.get(revoked!)).toBeNull();
    expect(await admin.get(key(revoked!))).toMatch(/^!sessionkit-revoked:/);
    expect(await admin.exists(key(expired!))).toBe(0);
    // And without anything in between, it writes.
    const fresh = (await admin.get(key(saved!)))!;
    expect(await replaceIfUnchanged(admin, key(saved!), fresh, cli.resealed(cli.sessionHandle(saved!), fresh)!)).toBe(true);
    expect((await cli.get(saved!))?.data).toEqual({ n: 'saved meanwhile' });
  });

  it('a run racing saves (from an instance still on the old key) and sign-outs loses none of them and revives nothing', async () => {
    // A few hot sessions, each saved back to back by its own loop for the whole run, among
    // keys of other apps that keep the (paced) walk going for a while: many rewrites then find
    // their session saved between their read and their write (counted below, and required).
    const ids = await writeSessions(20, [keyA]);
    await Promise.all(Array.from({ length: 20 }, (_, b) => admin.mset(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`other:${b}:${i}`, 'x'])))));
    const app = store([keyA]);
    // The store runs a Lua script by EVAL the first time through a client only (EVALSHA after):
    // once `app` has saved and destroyed, every EVAL is one of the run's guarded rewrites, so the
    // EVALs beyond the rewrites it made are rewrites that lost to a save or a sign-out.
    const spare = newId();
    await app.set(spare, {}, { userId: 'spare' });
    await app.destroy(spare, { userId: 'spare' });
    await admin.config('RESETSTAT');
    const last = new Map<string, number>();
    const revoked = new Set<string>();
    const run = spawnSessionkit(['--url', url, 'reencrypt', '--rate', '1000', '--json'], { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    let finished = false;
    void run.done.then(() => (finished = true));
    // The walk has reached the sessions once the run's first guarded rewrite is in (its first EVAL).
    let reached = false;
    const watch = (async () => {
      while (!finished && !reached) {
        reached = (await commandCalls(admin, 'eval')) > 0;
        await sleep(5);
      }
    })();
    await Promise.all(
      ids.map(async (id, i) => {
        for (let round = 0; !finished; round++) {
          // Every fifth session is signed out while the run walks: no rewrite may bring it back.
          if (i % 5 === 0 && reached) {
            revoked.add(id);
            await app.destroy(id, { userId: `u${i % 5}` });
            return;
          }
          const result = await app.set(id, { n: i, round }, { userId: `u${i % 5}` });
          if (result.stored) last.set(id, round);
        }
      }),
    );
    await watch;
    const done = await run.done;
    expect(done.code, done.stderr).toBe(0);
    const report = JSON.parse(done.stdout);
    const lost = (await commandCalls(admin, 'eval')) - report.rewritten;
    console.log(
      `racing reencrypt: rewritten ${report.rewritten}, guarded rewrites that lost to a concurrent write ${lost}, changed meanwhile ${report.changedMeanwhile}`,
    );
    // Not vacuous: saves did land between a rewrite's read and its write, and sign-outs during the walk.
    expect(lost, 'no rewrite raced a save').toBeGreaterThan(0);
    expect(revoked.size).toBeGreaterThan(0);
    const reader = store([keyB, keyA]);
    for (const [i, id] of ids.entries()) {
      const got = await reader.get(id);
      if (revoked.has(id)) expect(got, 'a revoked session came back').toBeNull();
      else expect(got?.data, 'a save was lost').toEqual({ n: i, round: last.get(id) });
    }
  });

  it('an interrupted run prints a cursor; run again from it, it goes on from there and finishes', async () => {
    const ids = await writeSessions(400, [keyA]);
    const env = { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` };
    const underB = async () => (await Promise.all(ids.map((id) => dataKeyId(store().keys.session(id))))).filter((id) => id === idB).length;
    // 100 keys/s over ~800 keys: time enough to stop it part way.
    const first = spawnSessionkit(['--url', url, 'reencrypt', '--rate', '100', '--json'], env);
    while ((await underB()) === 0) await sleep(50);
    first.kill('SIGINT');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(130);
    const part = JSON.parse(stopped.stdout);
    expect(part.complete).toBe(false);
    expect(part.cursor).toMatch(/^[^=]+:\d+=(\d+|done)$/);
    expect(part.rewritten).toBeGreaterThan(0);
    expect(part.rewritten).toBeLessThan(400);

    const second = await sessionkitJson(['--url', url, 'reencrypt', '--cursor', part.cursor], env);
    expect(second.code, second.stderr).toBe(0);
    expect(second.json.complete).toBe(true);
    // It walked on from the cursor, not from the start: what the first run walked is not walked again.
    expect(second.json.scan.keysWalked).toBeLessThan(await admin.dbsize());
    expect(await underB()).toBe(400);
    const human = await sessionkit(['--url', url, 'reencrypt', '--cursor', 'nonsense'], env);
    expect(human.code).toBe(2);
    expectNoStack(human.stderr);
  });

  it('a record under a key not in the ring is reported unreadable and left as it is (exit 1)', async () => {
    const [lost] = await writeSessions(1, [keyC]);
    await writeSessions(2, [keyA]);
    const before = await admin.get(store().keys.session(lost!));
    const run = await sessionkitJson(['--url', url, 'reencrypt'], { SESSION_ENCRYPTION_KEYS: `${keyB},${keyA}` });
    expect(run.code).toBe(1);
    expect(run.json).toMatchObject({ rewritten: 2, unreadable: 1 });
    expect(run.json.unreadableReasons[0].reason).toContain(new KeyRing([keyC]).currentId);
    expect(await admin.get(store().keys.session(lost!))).toBe(before);
  });

  it('refuses a missing or malformed key ring before connecting, without printing the keys', async () => {
    const none = await sessionkit(['--url', url, 'reencrypt'], { SESSION_ENCRYPTION_KEYS: undefined });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/SESSION_ENCRYPTION_KEYS/);
    const short = randomBytes(20).toString('base64');
    const bad = await sessionkit(['--url', url, 'reencrypt', '--keys', `${keyB},${short}`]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--keys\[1\] is not a 32-byte key/);
    expect(bad.stderr + bad.stdout).not.toContain(short);
    expect(bad.stderr + bad.stdout).not.toContain(keyB);
    const twice = await sessionkit(['--url', url, 'reencrypt'], { SESSION_ENCRYPTION_KEYS: `${keyA},${keyA}` });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/same key as an earlier entry/);
  });
});
