import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionHandle } from '@sessionkit/testing';
import { signature } from '../../shared/test/security.js';
import { Agent, SECRET, serve, useRedis, type Served } from './helpers.js';

/**
 * What a copy of Redis (a dump, a replica, a backup, a read-only ACL user) gives an attacker after
 * users sign in to the Express example over real HTTP: with hashed ids (the default) no session id,
 * so nothing to present as a cookie. docs/security.md, "What a copy of Redis reveals".
 */
const redis = useRedis();

/**
 * Every key in the Redis and everything it holds, as text: strings whole, lists, sets and sorted
 * sets member by member (with scores), hashes field and value, streams entry by entry.
 */
async function everyKeyAndValue(client: Redis): Promise<string[]> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of keys) {
      out.push(key);
      const type = await client.type(key);
      if (type === 'string') out.push((await client.get(key)) ?? '');
      else if (type === 'zset') out.push(...(await client.zrange(key, 0, -1, 'WITHSCORES')));
      else if (type === 'hash') out.push(...Object.entries(await client.hgetall(key)).flat());
      else if (type === 'set') out.push(...(await client.smembers(key)));
      else if (type === 'list') out.push(...(await client.lrange(key, 0, -1)));
      else if (type === 'stream') out.push(JSON.stringify(await client.xrange(key, '-', '+')));
      else out.push(`<${type}>`);
    }
  } while (cursor !== '0');
  return out;
}

/** express-session's cookie, unsigned: "s:<id>.<HMAC>" with the signature checked, so `id` is the real session id. */
function sessionIdIn(cookie: string): string {
  const value = decodeURIComponent(cookie);
  expect(value.startsWith('s:')).toBe(true);
  const dot = value.lastIndexOf('.');
  const id = value.slice(2, dot);
  expect(value.slice(dot + 1)).toBe(signature(id, SECRET));
  return id;
}

describe('a copy of Redis after sign-in over HTTP, on the Express example', () => {
  let app: Served;
  beforeAll(async () => {
    app = await serve(redis.client());
  });
  afterAll(async () => {
    await app?.close();
  });

  it("holds the cookie's session id in no key and no value (strings, index members, hashes: everything in Redis)", async () => {
    const laptop = new Agent();
    const phone = new Agent();
    await laptop.signIn(app.url, 'alice');
    await phone.signIn(app.url, 'alice');
    // A second request that saves, so that what a visit leaves is in Redis too, not only the sign-in.
    expect(await laptop.whoAmI(app.url)).toBe('Alice Liddell');
    const ids = [laptop, phone].map((agent) => sessionIdIn(agent.cookies.get('sid')!));
    expect(new Set(ids).size).toBe(2);

    const dump = (await everyKeyAndValue(redis.client())).join('\n');
    // The dump covers the sessions: each is there, named by its handle (key and index member).
    for (const id of ids) expect(dump.split(sessionHandle(id)).length - 1).toBeGreaterThanOrEqual(2);
    for (const id of ids) expect(dump).not.toContain(id);
  });
});
