import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, useRedis } from '@sessionkit/testing';
import { SessionStore } from '@sessionkit/core';
import { startApp } from './helpers.js';

/**
 * Server Actions as a browser submits them: a real headless Chromium (@sessionkit/testing's
 * launchChromium, as the examples' browser suite uses) clicks the forms of the test app's /counter page, so each POST carries
 * the action id Next put in the page (a script cannot make one up). The session is checked in Redis.
 */
const redis = useRedis();

describe('@sessionkit/next: Server Actions submitted from a form in Chromium', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let browser: Browser;
  let context: BrowserContext;
  let store: SessionStore;
  beforeAll(async () => {
    app = await startApp(redis);
    store = new SessionStore({ client: redis.client() });
    browser = await launchChromium();
    context = await browser.newContext();
    // Signed in through the Route Handler; the context's request client shares the browser's cookies.
    expect((await context.request.post(`${app.url}/login/ann`)).status()).toBe(200);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  const sid = async () => {
    const value = decodeURIComponent((await context.cookies()).find((c) => c.name === 'sid')!.value);
    return value.slice(0, value.lastIndexOf('.'));
  };
  const textOf = (page: Page, selector: string, text: string) => page.locator(selector, { hasText: new RegExp(`^${text}$`) }).waitFor();

  it('a Server Action changes the session in Redis, and the page shows it', async () => {
    const page = await context.newPage();
    const actions: string[] = [];
    page.on('request', (request) => {
      const action = request.headers()['next-action'];
      if (request.method() === 'POST' && action) actions.push(action);
    });
    await page.goto(`${app.url}/counter`);
    await textOf(page, '#who', 'ann');
    await textOf(page, '#count', '0');
    await page.click('#increment');
    await textOf(page, '#count', '1');
    expect(actions).toHaveLength(1); // one POST, carrying Next's action id
    expect((await store.get(await sid()))?.data).toMatchObject({ userId: 'ann', count: 1 });
    await page.click('#increment');
    await textOf(page, '#count', '2');
    expect((await store.get(await sid()))?.data).toMatchObject({ count: 2 });
    await page.close();
  });

  it('Server Actions submitted at once from several tabs on one session each keep their change', async () => {
    const writers = 5;
    const id = await sid();
    const before = (await store.get(id))?.data as Record<string, unknown>;
    const pages = await Promise.all(Array.from({ length: writers }, () => context.newPage()));
    await Promise.all(pages.map((page, i) => page.goto(`${app.url}/counter?key=k${i}`)));
    await Promise.all(pages.map((page) => page.locator('#set-key').waitFor()));
    // Each action holds its request 150 ms between its load and its save (app/counter/actions.ts).
    await Promise.all(pages.map((page) => page.click('#set-key')));
    await Promise.all(pages.map((page, i) => textOf(page, '#value', `v${i}`)));
    const after = (await store.get(id))?.data as Record<string, unknown>;
    for (let i = 0; i < writers; i++) expect(after[`k${i}`], `k${i}`).toBe(`v${i}`);
    expect(after).toMatchObject({ userId: 'ann', count: before.count });
    expect(await sid()).toBe(id);
    await Promise.all(pages.map((page) => page.close()));
  });
});
