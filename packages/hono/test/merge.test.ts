import { afterAll, describe, expect, it } from 'vitest';
import { concurrentSaves, expectEveryChangeKept, underBun } from '@sessionkit/testing';
import { startApp, useRedis } from './helpers.js';

/**
 * Concurrent requests on one session keep each other's changes: 40 requests at once, each setting
 * its own key, one deleting a key, over real HTTP. The middleware hands the engine the ticket of
 * what each request loaded; the engine merges. With `mergeSaves: false` the last save wins, which
 * shows the scenario does race.
 */
const WRITERS = 40;
const redis = useRedis();
const running: Awaited<ReturnType<typeof startApp>>[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.close()));
});

async function signedIn(options: Parameters<typeof startApp>[1], user: string) {
  const app = await startApp(redis, options);
  running.push(app);
  const response = await fetch(`${app.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  await response.text();
  const cookie = response.headers
    .getSetCookie()
    .map((line) => line.split(';')[0]!)
    .join('; ');
  // A key for /drop/doomed to delete.
  await (await fetch(`${app.url}/keys/doomed`, { method: 'POST', headers: { cookie } })).text();
  return { url: app.url, cookie };
}

describe(`concurrent saves over HTTP (Hono on ${underBun ? 'Bun' : 'Node'})`, () => {
  it(`${WRITERS} concurrent requests each setting a key, one deleting a key: every change kept`, async () => {
    const { url, cookie } = await signedIn({ prefix: 'merge1:' }, 'ann');
    const { keys, status } = await concurrentSaves(url, cookie, WRITERS);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, WRITERS, 'ann');
  });

  it('with mergeSaves: false, the same requests lose changes (the last save wins)', async () => {
    const { url, cookie } = await signedIn({ prefix: 'merge2:', mergeSaves: false }, 'bob');
    const { keys } = await concurrentSaves(url, cookie, WRITERS);
    const kept = Array.from({ length: WRITERS }, (_, i) => keys[`k${i}`]).filter(Boolean).length;
    expect(kept).toBeLessThan(WRITERS);
  });
});
