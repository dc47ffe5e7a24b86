import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CorruptSessionError, KeyRing, sealedKeyId, SessionKitError, type SessionStore } from '@sessionkit/core';
import { FrameworkStore } from '@sessionkit/core/toolkit';
import { ioredisOf, recordData, useFreshStores, withRecordData } from './helpers.js';

const { freshOn } = useFreshStores('enc');
const fresh = freshOn('ioredis');

const newKey = () => randomBytes(32).toString('base64');
const newId = () => randomBytes(24).toString('base64url');
const keyA = newKey();
const keyB = newKey();
const idOf = (key: string) => new KeyRing([key]).currentId;

/** The 'corrupt' events a store emits. */
function corruptEvents(store: SessionStore): CorruptSessionError[] {
  const events: CorruptSessionError[] = [];
  store.on('corrupt', (error) => events.push(error));
  return events;
}

/** Every key and string value under the store's prefixes, and every index member. */
async function dump(store: SessionStore): Promise<string> {
  const redis = ioredisOf(store);
  const out: string[] = [];
  for (const pattern of [store.keys.sessionPattern(), store.keys.indexPattern()]) {
    for (const key of await redis.keys(pattern)) {
      out.push(key, (await redis.type(key)) === 'string' ? ((await redis.get(key)) ?? '') : (await redis.zrange(key, 0, -1)).join(' '));
    }
  }
  return out.join('\n');
}

describe.each([false, true])('encryptionKeys (hashIds: %s)', (hashIds) => {
  const encrypted = (keys: string[] = [keyA], options = {}) => fresh({ hashIds, encryptionKeys: keys, ...options });

  it('round trip: data and meta read back, a listing shows the device, and a dump holds neither in clear', async () => {
    const store = encrypted();
    const id = newId();
    await store.set(id, { secret: 'plaintext-data-7731', n: 1 }, { userId: 'alice', meta: { userAgent: 'DeviceAgent-9921' } });
    const got = await store.get(id);
    expect(got?.data).toEqual({ secret: 'plaintext-data-7731', n: 1 });
    expect(got?.meta).toEqual({ userAgent: 'DeviceAgent-9921' });
    const listed = await store.listUserSessions('alice');
    expect(listed.map((s) => s.meta)).toEqual([{ userAgent: 'DeviceAgent-9921' }]);
    const everything = await dump(store);
    expect(everything).toContain('alice'); // the owner stays readable (the scripts need it)
    expect(everything).not.toContain('plaintext-data-7731');
    expect(everything).not.toContain('DeviceAgent-9921');
    // A later save that keeps the meta, and one that merges on a conflict, read back too.
    await store.set(id, { secret: 'x', n: 2 }, { userId: 'alice', ifVersion: got!.version, createdAt: got!.createdAt, previousUserId: 'alice' });
    const conflict = await store.set(id, { n: 3 }, { userId: 'alice', ifVersion: got!.version });
    expect(conflict.reason).toBe('conflict');
    expect(conflict.current?.record.data).toEqual({ secret: 'x', n: 2 });
    expect((await store.get(id))?.meta).toEqual({ userAgent: 'DeviceAgent-9921' });
    // A touch patches the clear header only; all() reads by key (a scan), not by id.
    expect(await store.touch(id, { userId: 'alice' })).toBeGreaterThan(0);
    expect((await store.all()).map((r) => r.data)).toEqual([{ secret: 'x', n: 2 }]);
  });

  it('a ciphertext copied onto another session does not decrypt: corrupt, absent, nothing written back', async () => {
    const store = encrypted();
    const events = corruptEvents(store);
    const [mine, theirs] = [newId(), newId()];
    await store.set(mine, { who: 'mine' }, { userId: 'u1' });
    await store.set(theirs, { who: 'theirs' }, { userId: 'u1' });
    const redis = ioredisOf(store);
    const stolen = recordData((await redis.get(store.keys.session(theirs)))!);
    const swapped = withRecordData((await redis.get(store.keys.session(mine)))!, stolen);
    await redis.set(store.keys.session(mine), swapped, 'KEEPTTL');
    expect(await store.get(mine)).toBeNull();
    expect(events.map((e) => e.message)).toEqual([expect.stringMatching(/failed authentication/)]);
    expect(await redis.get(store.keys.session(mine))).toBe(swapped);
    expect((await store.get(theirs))?.data).toEqual({ who: 'theirs' });
  });

  it('meta copied into the data part does not decrypt either (the part is bound too)', async () => {
    const store = encrypted();
    const events = corruptEvents(store);
    const id = newId();
    await store.set(id, { a: 1 }, { meta: { m: 1 } });
    const redis = ioredisOf(store);
    const value = (await redis.get(store.keys.session(id)))!;
    const meta = /~e1\.[^~]*(?=~e1\.)/.exec(value)![0];
    await redis.set(store.keys.session(id), withRecordData(value, meta), 'KEEPTTL');
    expect(await store.get(id)).toBeNull();
    expect(events).toHaveLength(1);
  });

  const damages: [string, (data: string) => string][] = [
    ['one character changed', (data) => data.slice(0, 40) + (data[40] === 'A' ? 'B' : 'A') + data.slice(41)],
    ['cut short by a byte', (data) => data.slice(0, -1)],
    ['cut to its header', (data) => data.slice(0, 30)],
    ['cut to nothing after the prefix', (data) => data.slice(0, 4)],
    ['the key id changed to an unknown one', (data) => `~e1.AAAAAAAA${data.slice(12)}`],
  ];
  for (const [what, damage] of damages) {
    it(`tampered data (${what}) is corrupt: reported, absent, never thrown, nothing written`, async () => {
      const store = encrypted();
      const events = corruptEvents(store);
      const id = newId();
      await store.set(id, { a: 'value' }, { userId: 'u2' });
      const redis = ioredisOf(store);
      const key = store.keys.session(id);
      const damaged = withRecordData((await redis.get(key))!, damage(recordData((await redis.get(key))!)));
      await redis.set(key, damaged, 'KEEPTTL');
      expect(await store.get(id)).toBeNull();
      expect(events).toHaveLength(1);
      expect(events[0]).toBeInstanceOf(CorruptSessionError);
      expect(await redis.get(key)).toBe(damaged);
    });
  }

  it('a record under a key the ring does not hold is corrupt, and the reason names its key id', async () => {
    const id = newId();
    const writer = encrypted([keyA]);
    await writer.set(id, { a: 1 });
    const reader = fresh({ hashIds, prefix: writer.options.prefix, encryptionKeys: [keyB] });
    const events = corruptEvents(reader);
    expect(await reader.get(id)).toBeNull();
    expect(events[0]?.message).toContain(idOf(keyA));
  });

  it('with encryption off, an encrypted record is corrupt with a reason that says so', async () => {
    const id = newId();
    const writer = encrypted();
    await writer.set(id, { a: 1 }, { userId: 'u3', meta: { ua: 'x' } });
    const reader = fresh({ hashIds, prefix: writer.options.prefix });
    const events = corruptEvents(reader);
    expect(await reader.get(id)).toBeNull();
    expect(events[0]?.message).toMatch(/is encrypted .* no encryptionKeys/);
    // A listing still lists it (its header is clear), without the meta it cannot read.
    const listed = await reader.listUserSessions('u3');
    expect(listed).toHaveLength(1);
    expect(listed[0]?.meta).toBeUndefined();
  });

  it('a record written in clear still reads with encryption on, and its next write encrypts it', async () => {
    const id = newId();
    const plain = fresh({ hashIds });
    await plain.set(id, { a: 'clear-value-5521' }, { userId: 'u4', meta: { ua: 'clear-agent' } });
    const store = fresh({ hashIds, prefix: plain.options.prefix, encryptionKeys: [keyA] });
    const got = await store.get(id);
    expect(got?.data).toEqual({ a: 'clear-value-5521' });
    expect(got?.meta).toEqual({ ua: 'clear-agent' });
    await store.set(id, { a: 'clear-value-5521' }, { userId: 'u4', meta: { ua: 'clear-agent' } });
    expect(await dump(store)).not.toMatch(/clear-value-5521|clear-agent/);
    expect((await store.get(id))?.data).toEqual({ a: 'clear-value-5521' });
  });

  it('rotation: a record under an older key reads, and its next write seals it under the first key', async () => {
    const id = newId();
    const old = encrypted([keyA]);
    await old.set(id, { a: 1 }, { userId: 'u5', meta: { ua: 'agent' } });
    const rotated = fresh({ hashIds, prefix: old.options.prefix, encryptionKeys: [keyB, keyA] });
    const redis = ioredisOf(rotated);
    const got = await rotated.get(id);
    expect(got?.data).toEqual({ a: 1 });
    expect(sealedKeyId(recordData((await redis.get(rotated.keys.session(id)))!))).toBe(idOf(keyA));
    await rotated.set(id, { a: 2 }, { userId: 'u5', meta: { ua: 'agent' }, ifVersion: got!.version, createdAt: got!.createdAt });
    const value = (await redis.get(rotated.keys.session(id)))!;
    expect(sealedKeyId(recordData(value))).toBe(idOf(keyB));
    expect(value).not.toContain(`~e1.${idOf(keyA)}`);
    expect((await rotated.get(id))?.data).toEqual({ a: 2 });
    // Once the old key is dropped, the rewritten session still reads.
    const retired = fresh({ hashIds, prefix: old.options.prefix, encryptionKeys: [keyB] });
    expect((await retired.get(id))?.meta).toEqual({ ua: 'agent' });
  });
});

describe('rotation of the meta through an adapter (FrameworkStore)', () => {
  it('a save that sets no meta of its own still moves a stored meta to the current key (in clear or under an older one)', async () => {
    for (const keys of [undefined, [keyA]]) {
      const id = newId();
      const writer = fresh(keys ? { encryptionKeys: keys } : {});
      await writer.set(id, { cookie: { originalMaxAge: 60_000 }, userId: 'u6', n: 0 }, { userId: 'u6', meta: { ua: 'kept-agent' } });
      const adapter = new FrameworkStore<Record<string, unknown>>({ client: ioredisOf(writer), prefix: writer.options.prefix, encryptionKeys: [keyB, keyA] });
      const session = (await adapter.get(id))!;
      session.n = 1;
      await adapter.set(id, session);
      const value = (await ioredisOf(writer).get(writer.keys.session(id)))!;
      expect(value).not.toContain('kept-agent');
      expect(value.match(/~e1\.(.{8})/g)).toEqual([`~e1.${idOf(keyB)}`, `~e1.${idOf(keyB)}`]);
      const retired = fresh({ prefix: writer.options.prefix, encryptionKeys: [keyB] });
      expect(await retired.get(id)).toMatchObject({ data: { n: 1 }, meta: { ua: 'kept-agent' } });
    }
  });
});

describe('a merged retry through an adapter (FrameworkStore)', () => {
  it("keeps the meta of the save that won, never the load's older one it would have moved", async () => {
    const id = newId();
    const writer = fresh({ encryptionKeys: [keyA] });
    await writer.set(id, { cookie: { originalMaxAge: 60_000 }, userId: 'u7', n: 0 }, { userId: 'u7', meta: { ua: 'old-agent' } });
    // Loaded with its meta under the older key: the adapter's save would move it to keyB.
    const adapter = new FrameworkStore<Record<string, unknown>>({ client: ioredisOf(writer), prefix: writer.options.prefix, encryptionKeys: [keyB, keyA] });
    const session = (await adapter.get(id))!;
    // Another request saves meanwhile, with a new device meta, under the current key.
    const other = fresh({ prefix: writer.options.prefix, encryptionKeys: [keyB, keyA] });
    const current = (await other.get(id))!;
    await other.set(
      id,
      { ...(current.data as object), m: 'other' },
      { userId: 'u7', meta: { ua: 'new-agent' }, ifVersion: current.version, createdAt: current.createdAt },
    );
    session.n = 1;
    await adapter.set(id, session); // conflicts, merges, writes again
    expect(await other.get(id)).toMatchObject({ data: { n: 1, m: 'other' }, meta: { ua: 'new-agent' } });
  });
});

describe('encryptionKeys option checks', () => {
  const build = (encryptionKeys: unknown) => () => fresh({ encryptionKeys: encryptionKeys as string[] });
  const configError = (fn: () => unknown, pattern: RegExp) => {
    let error: unknown;
    try {
      fn();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SessionKitError);
    expect((error as SessionKitError).code).toBe('ERR_CONFIG');
    expect((error as Error).message).toMatch(pattern);
    return (error as Error).message;
  };

  it('refuses a key of the wrong length or encoding, without quoting it', () => {
    const short = randomBytes(16).toString('base64');
    expect(configError(build([short]), /encryptionKeys\[0\] is not a 32-byte key in base64.*openssl rand -base64 32/)).not.toContain(short);
    configError(build([keyA, 'not base64 at all, definitely not a key!!!!']), /encryptionKeys\[1\]/);
    configError(build([Buffer.alloc(31)]), /31 bytes, not 32/);
    configError(build([42]), /base64 string or a Buffer/);
  });

  it('refuses a key listed twice, and an empty ring', () => {
    configError(build([keyA, keyB, keyA]), /encryptionKeys\[2\] is the same key as an earlier entry/);
    configError(build([]), /non-empty array/);
  });

  it('takes Buffers and base64url, and never shows a key in the store options', () => {
    const bytes = randomBytes(32);
    const store = fresh({ encryptionKeys: [bytes, keyA.replace(/\+/g, '-').replace(/\//g, '_')] });
    expect(store.options.encryptionKeys?.ids).toEqual([new KeyRing([bytes]).currentId, idOf(keyA)]);
    const shown = `${JSON.stringify(store.options)} ${inspect(store.options, { depth: 5 })}`;
    expect(shown).not.toContain(keyA);
    expect(shown).not.toContain(bytes.toString('base64'));
  });
});

describe('a sealed part is strict base64url', () => {
  const ring = new KeyRing([keyA]);
  const handle = 'h'.repeat(43);
  const BODY_AT = 4 + 8 + 16; // '~e1.', the key id, the IV
  /** A sealed part whose body matches `test`, of a plaintext of `length` characters (the IV is random: seal again until it does). */
  const sealedWhere = (test: (body: string) => boolean, length = 3) => {
    for (;;) {
      const sealed = ring.seal(randomBytes(length).toString('hex').slice(0, length), handle, 'data');
      if (test(sealed.slice(BODY_AT))) return sealed;
    }
  };
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  // Each variant decodes, leniently, to the very bytes of the original (Buffer.from skips what is
  // not base64url, reads '+' and '/' as '-' and '_', and ignores the bits past the last byte).
  const variants: [string, () => string][] = [
    [
      "'+' for '-' and '/' for '_' (base64, not base64url)",
      () =>
        sealedWhere((body) => /[-_]/.test(body))
          .replace(/-/g, '+')
          .replace(/_/g, '/'),
    ],
    ["'=' padding appended", () => `${sealedWhere(() => true)}=`],
    ['a newline appended', () => `${sealedWhere(() => true)}\n`],
    [
      "a '!' inserted in the body",
      () => {
        const sealed = sealedWhere(() => true);
        return `${sealed.slice(0, BODY_AT + 5)}!${sealed.slice(BODY_AT + 5)}`;
      },
    ],
    [
      'the unused low bits of the last character set',
      () => {
        // 3 + 16 bytes: 26 characters, the last carrying 2 bits and 4 unused ones (0 as encoded, so `| 1` changes it).
        const sealed = sealedWhere(() => true, 3);
        const last = ALPHABET.indexOf(sealed.at(-1)!);
        return sealed.slice(0, -1) + ALPHABET[last | 1]!;
      },
    ],
  ];
  for (const [what, variant] of variants) {
    it(`${what}: corrupt, not the same plaintext`, () => {
      const altered = variant();
      expect(altered.startsWith('~e1.')).toBe(true);
      expect(() => ring.open(altered, handle, 'data')).toThrow(CorruptSessionError);
    });
  }

  it('the unaltered part opens', () => {
    expect(ring.open(ring.seal('abc', handle, 'data'), handle, 'data')).toBe('abc');
  });
});
