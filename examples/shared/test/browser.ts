import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '@sessionkit/testing';

const IPHONE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const WINDOWS_FIREFOX_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';

/** One running example app, as the browser suite needs it. */
export interface BrowserInstance {
  url: string;
  store: { countUserSessions(userId: string): Promise<number> };
  stop(): Promise<void>;
}

export interface BrowserSuiteOptions {
  /** For the title: "Express", "Fastify", "Koa", "React Router". */
  name: string;
  /** The screenshot's file name under docs/img/ (written there with UPDATE_SCREENSHOTS=1). */
  screenshot: string;
  start(): Promise<BrowserInstance>;
  /** A client that signs in from a script with a given user agent (the app's cookie jar). */
  Agent: new (
    userAgent: string,
  ) => { signIn(url: string, user: string): Promise<unknown> };
}

async function signIn(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/login`);
  await page.fill('#username', username);
  await page.fill('#password', 'password');
  await Promise.all([page.waitForURL(`${base}/`), page.click('button[type=submit]')]);
}

/**
 * The example apps' Active sessions page in a real headless Chromium, written once for all four:
 * two instances on one Redis, two browsers and a script sign one user in, one browser revokes the
 * other, then signs out everywhere else and everywhere.
 */
export function activeSessionsInBrowser({ name, screenshot, start, Agent }: BrowserSuiteOptions): void {
  const SCREENSHOT = fileURLToPath(new URL(`../../../docs/img/${screenshot}`, import.meta.url));

  describe(`example ${name} app in a real headless Chromium`, () => {
    let a: BrowserInstance;
    let b: BrowserInstance;
    let browser: Browser;
    let laptop: BrowserContext;
    let phone: BrowserContext;
    const shots = mkdtempSync(join(tmpdir(), 'sessionkit-shots-'));

    beforeAll(async () => {
      [a, b] = await Promise.all([start(), start()]);
      browser = await launchChromium();
      // Two separate browser profiles (cookie jars). The laptop keeps Chromium's own user agent,
      // minus "Headless"; the phone presents itself as Safari on an iPhone.
      const probe = await browser.newPage();
      const ua = await probe.evaluate(() => (globalThis as unknown as { navigator: { userAgent: string } }).navigator.userAgent);
      await probe.close();
      laptop = await browser.newContext({ userAgent: ua.replace('HeadlessChrome', 'Chrome'), viewport: { width: 1040, height: 480 }, deviceScaleFactor: 1 });
      phone = await browser.newContext({ userAgent: IPHONE_UA, viewport: { width: 390, height: 760 } });
    });
    afterAll(async () => {
      await browser?.close();
      await a?.stop();
      await b?.stop();
      rmSync(shots, { recursive: true, force: true });
    });

    it("signs one user in from two browsers, revokes one from the other's Active sessions page, then signs out everywhere else and everywhere", async () => {
      const laptopPage = await laptop.newPage();
      const phonePage = await phone.newPage();
      await signIn(laptopPage, a.url, 'alice');
      await signIn(phonePage, b.url, 'alice'); // another instance: the session is in Redis, not in the process
      expect(await laptopPage.textContent('[data-testid=greeting]')).toBe('Hello, Alice Liddell');
      expect(await phonePage.textContent('[data-testid=greeting]')).toBe('Hello, Alice Liddell');
      // A third session from a script, so that the page shows some variety.
      await new Agent(WINDOWS_FIREFOX_UA).signIn(a.url, 'alice');

      await laptopPage.goto(`${b.url}/sessions`);
      expect(await laptopPage.locator('tbody tr').count()).toBe(3);
      expect(await laptopPage.textContent('tr[data-current] .device')).toBe('Chrome on Linux');
      const phoneRow = laptopPage.locator('tbody tr', { hasText: 'Safari on iPhone' });
      expect(await phoneRow.count()).toBe(1);

      const shot = join(shots, screenshot);
      await laptopPage.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);
      if (process.env.UPDATE_SCREENSHOTS === '1') {
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        copyFileSync(shot, SCREENSHOT);
      }

      await Promise.all([laptopPage.waitForURL(/notice=revoked/), phoneRow.locator('button', { hasText: 'Revoke' }).click()]);
      expect(await laptopPage.textContent('[role=status]')).toContain('signed out');
      expect(await laptopPage.locator('tbody tr').count()).toBe(2);
      expect(await laptopPage.locator('tbody tr', { hasText: 'Safari on iPhone' }).count()).toBe(0);

      // The phone is signed out, on either instance.
      await phonePage.goto(`${a.url}/`);
      expect(phonePage.url()).toContain('/login');
      expect(await phonePage.textContent('[role=status]')).toContain('Please sign in again');
      await phonePage.goto(`${b.url}/sessions`);
      expect(phonePage.url()).toContain('/login');

      // The laptop is not.
      await laptopPage.goto(`${a.url}/`);
      expect(await laptopPage.textContent('[data-testid=greeting]')).toBe('Hello, Alice Liddell');

      // "Sign out everywhere else" ends the script's session and keeps this one; "Sign out
      // everywhere" then ends this one too, on both instances.
      await laptopPage.goto(`${a.url}/sessions`);
      expect(await laptopPage.locator('tbody tr').count()).toBe(2);
      await Promise.all([laptopPage.waitForURL(/notice=others/), laptopPage.getByRole('button', { name: 'Sign out everywhere else', exact: true }).click()]);
      expect(await laptopPage.locator('tbody tr').count()).toBe(1);
      expect(await laptopPage.locator('tr[data-current]').count()).toBe(1);
      await Promise.all([laptopPage.waitForURL(/notice=everywhere/), laptopPage.getByRole('button', { name: 'Sign out everywhere', exact: true }).click()]);
      expect(await laptopPage.textContent('[role=status]')).toContain('Signed out everywhere');
      expect(await a.store.countUserSessions('user-alice')).toBe(0);
      await laptopPage.goto(`${b.url}/`);
      expect(laptopPage.url()).toContain('/login');
      await laptopPage.goto(`${a.url}/sessions`);
      expect(laptopPage.url()).toContain('/login');
    });
  });
}
