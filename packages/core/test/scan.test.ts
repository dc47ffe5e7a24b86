import { describe, expect, it } from 'vitest';
import { SessionStore } from '@sessionkit/core';
import { useRedis } from './helpers.js';

const redis = useRedis();

describe('ids, all, length, clear', () => {
  it('escape glob characters in the prefix and skip tombstones and foreign keys', async () => {
    const client = redis.client();
    const store = new SessionStore({ client, prefix: 'app[1]*?:', scanCount: 7 });
    // Keys that an unescaped pattern "app[1]*?:*" would wrongly match.
    await client.set('app1xx:zzz', 'not ours');
    await client.set('app[1]*?', 'too short');
    for (let i = 0; i < 30; i++) await store.set(`s${i}`, { i }, { userId: i % 2 ? 'odd' : 'even' });
    await store.destroy('s0');
    expect(await store.length()).toBe(29);
    expect((await store.ids()).sort()).toEqual(Array.from({ length: 29 }, (_, i) => store.sessionHandle(`s${i + 1}`)).sort());
    const all = await store.all();
    expect(all).toHaveLength(29);
    expect(all.find((r) => r.id === store.sessionHandle('s7'))).toMatchObject({ data: { i: 7 }, userId: 'odd' });
    const removed = await store.clear();
    expect(removed).toBe(30 + 2); // 29 sessions, 1 tombstone, 2 indexes
    expect(await store.length()).toBe(0);
    expect(await client.get('app1xx:zzz')).toBe('not ours');
    expect(await client.get('app[1]*?')).toBe('too short');
  });

  it('all() skips unreadable values', async () => {
    const client = redis.client();
    const store = new SessionStore({ client, prefix: 'allskip:' });
    await store.set('good', { ok: true });
    await client.set('allskip:bad', 'not json');
    let corrupt = 0;
    store.on('corrupt', () => corrupt++);
    expect((await store.all()).map((r) => r.id)).toEqual([store.sessionHandle('good')]);
    expect(corrupt).toBe(1);
  });
});
