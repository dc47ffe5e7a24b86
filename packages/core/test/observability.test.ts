import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { hashId, RedisOperationError, SessionStore } from '@sessionkit/core';
import { ioredisOf, useRedis } from './helpers.js';
import { rawRecord } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) =>
  new SessionStore({ client: redis.client(), prefix: `obs${++n}:`, ...options });

/** Everything a logger could print of a value: JSON and util.inspect (which follows `cause`). */
const printable = (value: unknown) => `${JSON.stringify(value) ?? ''}\n${inspect(value, { depth: 10, showHidden: true })}`;

describe('events carry hashed ids only (safe to log and meter)', () => {
  it('corrupt, invalidate, evict and revoked-write name sessions by hashId, never by id', async () => {
    const store = fresh({ maxSessionsPerUser: 2 });
    const events: [string, unknown[]][] = [];
    for (const name of ['corrupt', 'invalidate', 'evict', 'revoked-write'] as const) {
      store.on(name, (...args: unknown[]) => void events.push([name, args]));
    }
    const ids = [
      'sid-one-AAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      'sid-two-BBBBBBBBBBBBBBBBBBBBBBBBBBBB',
      'sid-three-CCCCCCCCCCCCCCCCCCCCCCCC',
      'sid-bad-DDDDDDDDDDDDDDDDDDDDDDDDDDDD',
    ];
    await store.set(ids[0]!, { n: 0 }, { userId: 'ann', ttl: 10_000 });
    await store.set(ids[1]!, { n: 1 }, { userId: 'ann', ttl: 20_000 });
    await store.set(ids[2]!, { n: 2 }, { userId: 'ann', ttl: 30_000 }); // evicts ids[0], nearest expiry
    await ioredisOf(store).set(store.keys.session(ids[3]!), `{"cookie": "${ids[3]}`); // truncated JSON that even quotes the id
    expect(await store.get(ids[3]!)).toBeNull();
    expect(await store.invalidateAllUserSessions('ann', { except: ids[2]! })).toBe(1);
    expect((await store.set(ids[1]!, { late: true }, { userId: 'ann' })).reason).toBe('revoked');

    expect(events.map(([name]) => name).sort()).toEqual(['corrupt', 'evict', 'invalidate', 'revoked-write']);
    const payload = (name: string) => events.find(([e]) => e === name)![1];
    expect(payload('evict')).toEqual([{ userId: 'ann', idHashes: [hashId(ids[0]!)] }]);
    expect(payload('revoked-write')).toEqual([{ idHash: hashId(ids[1]!) }]);
    expect(payload('invalidate')).toEqual([{ userId: 'ann', count: 1 }]);
    expect(payload('corrupt')[1]).toEqual({ idHash: hashId(ids[3]!) });

    // The error's message describes the problem, not the key: the id is nowhere in any payload.
    const text = printable(events.map(([, args]) => args));
    for (const id of ids) expect(text).not.toContain(id);
  });

  it('hashId is a stable 16-hex-digit tag, distinct for distinct ids', () => {
    const tags = new Set(Array.from({ length: 1000 }, (_, i) => hashId(`id-${i}`)));
    expect(tags.size).toBe(1000);
    for (const tag of tags) expect(tag).toMatch(/^[0-9a-f]{16}$/);
    expect(hashId('same')).toBe(hashId('same'));
  });
});

describe('errors never carry session ids or session data', () => {
  it("a command Redis refuses: ioredis's command arguments (key names, the serialized session) are dropped from the cause", async () => {
    const admin = redis.client();
    await admin.call('ACL', 'SETUSER', 'obs-noscripts', 'on', '>pw', '~*', '&*', '+@all', '-@scripting', '-get'); // get reads with a plain GET
    const store = new SessionStore({ client: redis.client({ username: 'obs-noscripts', password: 'pw' }), prefix: 'obs-acl:' });
    const id = 'victim-session-id-EEEEEEEEEEEEEEEEEEEEEE';
    const secret = 'csrf-token-and-personal-data-FFFFFFFF';
    const calls: [string, () => Promise<unknown>][] = [
      ['set', () => store.set(id, { secret }, { userId: 'ann', meta: { note: secret } })],
      ['get', () => store.get(id)],
      ['touch', () => store.touch(id)],
      ['destroy', () => store.destroy(id)],
      ['revokeUserSession', () => store.revokeUserSession('ann', id)],
      ['invalidateAllUserSessions', () => store.invalidateAllUserSessions('ann', { except: id })],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, name).toBeInstanceOf(RedisOperationError);
      expect((error as Error).message, name).toMatch(/NOPERM/);
      const cause = (error as Error).cause as { command?: { name?: string; args?: unknown } };
      expect(cause.command, name).toEqual({ name: expect.any(String) });
      const text = printable(error);
      expect(text, name).not.toContain(id);
      expect(text, name).not.toContain(secret);
    }
  });
});

describe('corrupt values are reported without quoting what is stored', () => {
  it("V8's JSON.parse quotes short inputs; nothing of the stored text reaches the 'corrupt' payload", async () => {
    const store = fresh();
    const secret = 'Pw9xKq7Zt';
    const events: unknown[][] = [];
    store.on('corrupt', (...args) => void events.push(args));
    // Invalid JSON short enough for V8 to quote it whole: `Unexpected token 'P', "{"pw":Pw9x..." is not valid JSON`.
    const data = `{"pw":${secret}}`;
    expect(() => JSON.parse(data)).toThrow(secret); // the hazard is real on this Node
    await ioredisOf(store).set(store.keys.session('legacy'), data);
    await ioredisOf(store).set(store.keys.session('record'), rawRecord({ data }), 'PX', 60_000);
    // The same in meta, which is reported while the session itself stays readable.
    await ioredisOf(store).set(store.keys.session('meta'), rawRecord({ meta: data }), 'PX', 60_000);
    expect(await store.get('legacy')).toBeNull();
    expect(await store.get('record')).toBeNull();
    expect(await store.get('meta')).not.toBeNull();

    expect(events.map(([error]) => (error as Error).message)).toEqual([
      'stored session data is not valid JSON',
      'stored session data is not valid JSON',
      'stored session meta is not valid JSON',
    ]);
    for (const [error] of events) expect((error as Error).cause).toBeUndefined();
    const text = printable(events);
    // No 3-character run of the secret, and not the one character V8 names as the bad token.
    for (let i = 0; i + 3 <= secret.length; i++) expect(text).not.toContain(secret.slice(i, i + 3));
    expect(text).not.toContain(`'${secret[0]}'`);

    // Where V8 gives a position, the message says where the JSON breaks (a number, no text).
    events.length = 0;
    await ioredisOf(store).set(store.keys.session('cut'), `{"pw":"${secret}`);
    await ioredisOf(store).set(store.keys.session('short'), '{"pw":');
    expect(await store.get('cut')).toBeNull();
    expect(await store.get('short')).toBeNull();
    expect(events.map(([error]) => (error as Error).message)).toEqual([
      'stored session data is not valid JSON (at position 16)',
      'stored session data is not valid JSON (it ends early)',
    ]);
  });
});
