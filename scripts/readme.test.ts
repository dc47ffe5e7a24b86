import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '@sessionkit/testing';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The README's Express quick start, exactly as printed. */
function quickStart(): string {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Quick start (Express)'));
  const match = /```js\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error('README has no ```js block under "Quick start (Express)"');
  return match[1]!;
}

describe('README quick start', () => {
  const redis = new RedisServer();
  let port = 0;
  let app: ReturnType<typeof spawn> | undefined;
  let output = '';

  beforeAll(async () => {
    await redis.start();
    port = await freePort();
    // Inside the repo, so that '@sessionkit/express' resolves to the built workspace package.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const file = join(root, '.tmp', 'readme-quick-start.mjs');
    writeFileSync(file, quickStart());
    app = spawn(process.execPath, [file], {
      env: { ...process.env, REDIS_URL: redis.url, PORT: String(port), SESSION_SECRET: 'readme-test-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout!.on('data', (c) => (output += c));
    app.stderr!.on('data', (c) => (output += c));
    for (let i = 0; i < 100; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/`).then(() => true, () => false);
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the quick start did not start:\n${output}`);
  });

  afterAll(async () => {
    app?.kill();
    await redis.dispose();
  });

  const login = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(302);
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };

  it('signs in, indexes the session under the user, and signs out the other devices', async () => {
    const laptop = await login();
    const phone = await login();
    const home = (cookie: string) => fetch(`http://127.0.0.1:${port}/`, { headers: { cookie } }).then((r) => r.text());
    expect(await home(laptop)).toBe('Hello alice');
    expect(await home(phone)).toBe('Hello alice');
    const res = await fetch(`http://127.0.0.1:${port}/password`, { method: 'POST', headers: { cookie: laptop } });
    expect(await res.json()).toEqual({ signedOut: 1 });
    expect(await home(laptop)).toBe('Hello alice');
    expect(await home(phone)).toBe('Please sign in');
  });
});
