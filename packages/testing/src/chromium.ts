import type { Browser } from 'playwright-core';

/**
 * A real headless Chromium (Debian's `chromium`, or CHROMIUM_PATH) for the tests that drive a
 * page: no sandbox (tests run as root in CI), and none of the background traffic a fresh profile
 * would start. playwright-core is loaded here, on first use, not by every test that imports this
 * package.
 */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}
