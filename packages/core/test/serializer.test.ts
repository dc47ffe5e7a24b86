import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CorruptSessionError, hashId, SessionKitError, SessionStore, type Serializer } from '@sessionkit/core';
import { handles, recordData, useRedis, withRecordData, ioredisOf } from './helpers.js';

const redis = useRedis();
let n = 0;
const fresh = (options: Partial<ConstructorParameters<typeof SessionStore>[0]> = {}) =>
  new SessionStore({ client: redis.client(), prefix: `ser${++n}:`, ...options });

/**
 * A version tag and base64 JSON: text no JSON reader accepts, so a passing round trip shows the
 * store used this serializer both ways. Its parse error quotes the input on purpose, as
 * careless serializers do, to show the store does not pass that on.
 */
const tagged: Serializer = {
  stringify: (value) => `v1:${Buffer.from(JSON.stringify(value)).toString('base64')}`,
  parse: (text) => {
    if (!text.startsWith('v1:')) throw new TypeError(`not a v1 value: ${text}`);
    return JSON.parse(Buffer.from(text.slice(3), 'base64').toString('utf8'));
  },
};

describe('a custom serializer', () => {
  it('round-trips data through set, get, touch, all and listUserSessions', async () => {
    const store = fresh({ serializer: tagged });
    const data = { cart: [1, 2], name: 'Zoë', nested: { ok: true } };
    await store.set('a', data, { userId: 'ann', meta: { device: 'phone' } });
    await store.set('b', { n: 2 }, { userId: 'ann' });
    await store.set('c', { n: 3 });

    const raw = recordData((await ioredisOf(store).get(store.keys.session('a')))!);
    expect(raw).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(JSON.parse(Buffer.from(raw!.slice(3), 'base64').toString('utf8'))).toEqual(data);

    expect(await store.get('a')).toMatchObject({ id: 'a', data, userId: 'ann', meta: { device: 'phone' } });
    expect(await store.touch('a')).not.toBeNull();
    expect((await store.get('a'))!.data).toEqual(data);
    const all = await store.all();
    expect(Object.fromEntries(all.map((r) => [r.id, r.data]))).toEqual({
      [store.sessionHandle('a')]: data,
      [store.sessionHandle('b')]: { n: 2 },
      [store.sessionHandle('c')]: { n: 3 },
    });
    const listed = await store.listUserSessions('ann');
    expect(listed.map((s) => s.id).sort()).toEqual(handles(store, 'a', 'b').sort());
    expect(listed.find((s) => s.id === store.sessionHandle('a'))!.meta).toEqual({ device: 'phone' });
  });

  it('a value its parse throws on is absent and reported as corrupt, without its error or the text', async () => {
    const store = fresh({ serializer: tagged });
    const events: [CorruptSessionError, { idHash: string }][] = [];
    store.on('corrupt', (error, info) => void events.push([error, info]));
    await store.set('plain', { n: 1 });
    // Plain JSON, as the default serializer or connect-redis would have written it: not v1.
    const stored = '{"token":"kept-out-of-logs"}';
    const key = store.keys.session('plain');
    await ioredisOf(store).set(key, withRecordData((await ioredisOf(store).get(key))!, stored), 'KEEPTTL');
    await ioredisOf(store).set(store.keys.session('legacy'), stored);

    expect(await store.get('plain')).toBeNull();
    expect(await store.get('legacy')).toBeNull();
    expect(await store.all()).toEqual([]);
    expect(events.map(([, info]) => info.idHash)).toEqual([hashId('plain'), hashId('legacy'), expect.any(String), expect.any(String)]);
    for (const [error] of events) {
      expect(error).toBeInstanceOf(CorruptSessionError);
      expect(error.code).toBe('ERR_CORRUPT');
      expect(error.message).toBe('the configured serializer could not parse stored session data (it threw TypeError)');
      expect(`${inspect(error, { showHidden: true, depth: 10 })}`).not.toContain('kept-out-of-logs');
    }
    // The next write replaces the unreadable value.
    await store.set('plain', { n: 2 });
    expect((await store.get('plain'))!.data).toEqual({ n: 2 });
  });

  it('a stringify that throws or returns no string is ERR_SERIALIZE, and nothing is written', async () => {
    const throwing = fresh({
      serializer: {
        ...tagged,
        stringify: () => {
          throw new Error('cannot encode');
        },
      },
    });
    const notText = fresh({ serializer: { ...tagged, stringify: () => 42 as unknown as string } });
    for (const [store, message] of [
      [throwing, /cannot encode/],
      [notText, /returned number/],
    ] as const) {
      const error = await store.set('s', { n: 1 }, { userId: 'ann' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(SessionKitError);
      expect((error as SessionKitError).code).toBe('ERR_SERIALIZE');
      expect((error as Error).message).toMatch(message);
      expect(await ioredisOf(store).keys(`${store.options.prefix}*`)).toEqual([]);
      expect(await store.countUserSessions('ann')).toBe(0);
    }
  });
});

describe('the default serializer drops __proto__, constructor and prototype at every depth', () => {
  const hasDangerousKey = (root: unknown): boolean => {
    const stack = [root];
    while (stack.length) {
      const value = stack.pop();
      if (!value || typeof value !== 'object') continue;
      if (Object.getPrototypeOf(value) !== (Array.isArray(value) ? Array.prototype : Object.prototype)) return true;
      if (['__proto__', 'constructor', 'prototype'].some((key) => Object.hasOwn(value, key))) return true;
      stack.push(...Object.values(value));
    }
    return false;
  };

  it('however the stored text spells them (JSON escapes such as "\\u005f_proto__")', async () => {
    const store = fresh();
    const text =
      '{"\\u005f_proto__":{"isAdmin":true},"\\u0063onstructor":{"pr\\u006ftotype":{"isAdmin":true}},' +
      '"list":[{"__pr\\u006fto__":{"isAdmin":true},"ok":2}],"deep":{"a":{"\\u0070rototype":1,"ok":3}},"ok":1}';
    expect(text).not.toMatch(/__proto__|constructor|prototype/);
    await ioredisOf(store).set(store.keys.session('escaped'), text);
    const data = (await store.get('escaped'))!.data as Record<string, unknown>;
    expect(data).toEqual({ list: [{ ok: 2 }], deep: { a: { ok: 3 } }, ok: 1 });
    expect(hasDangerousKey(data)).toBe(false);
    expect(data.isAdmin).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('reads back deep nesting (4 000 levels) with those words in the text: what set writes, get can read', async () => {
    const store = fresh();
    const corrupt: unknown[] = [];
    store.on('corrupt', (error) => corrupt.push(error));
    let deep: Record<string, unknown> = { word: 'constructor' };
    for (let i = 0; i < 4000; i++) deep = { a: deep };
    await store.set('deep', { note: 'prototype', deep });
    const got = await store.get('deep');
    expect(corrupt).toEqual([]);
    // Compared as JSON text: a deep-equality walk of 4,000 levels can overflow the test's own stack.
    expect(JSON.stringify(got!.data)).toBe(JSON.stringify({ note: 'prototype', deep }));

    // A dangerous key at the bottom is dropped there too, and the walk does not overflow.
    let text = '{"__proto__":{"isAdmin":true},"ok":1}';
    for (let i = 0; i < 50_000; i++) text = `{"a":${text}}`;
    await ioredisOf(store).set(store.keys.session('deeper'), text);
    let data = (await store.get('deeper'))!.data as Record<string, unknown>;
    expect(corrupt).toEqual([]);
    for (let i = 0; i < 50_000; i++) data = data.a as Record<string, unknown>;
    expect(data).toEqual({ ok: 1 });
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});
