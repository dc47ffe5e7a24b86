import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '@sessionkit/testing';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The quick start of docs/koa.md (the same as packages/koa/README.md's), exactly as printed. */
function quickStart(file: string): string {
  const text = readFileSync(join(root, file), 'utf8');
  const section = text.slice(text.indexOf('## Quick start'));
  const match = /```ts\n([\s\S]*?)```/.exec(section);
  if (!match) throw new Error(`${file} has no \`\`\`ts block under "Quick start"`);
  return match[1]!;
}

describe('docs/koa.md quick start', () => {
  const redis = new RedisServer();
  let port = 0;
  let app: ReturnType<typeof spawn> | undefined;
  let output = '';

  it('is the one packages/koa/README.md prints', () => {
    expect(quickStart('packages/koa/README.md')).toBe(quickStart('docs/koa.md'));
  });

  beforeAll(async () => {
    await redis.start();
    port = await freePort();
    // Inside the repo, so that '@sessionkit/koa' resolves to the built workspace package.
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const file = join(root, '.tmp', 'koa-quick-start.ts');
    writeFileSync(file, quickStart('docs/koa.md'));
    app = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, REDIS_URL: redis.url, PORT: String(port), SESSION_SECRET: 'koa-docs-test-secret' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout!.on('data', (c) => (output += c));
    app.stderr!.on('data', (c) => (output += c));
    for (let i = 0; i < 300; i++) {
      const up = await fetch(`http://127.0.0.1:${port}/`).then(
        () => true,
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the quick start did not start:\n${output}`);
  }, 60_000);

  afterAll(async () => {
    app?.kill();
    await redis.dispose();
  });

  /** Signs in; the Cookie header a browser would send from then on (koa-session's cookie and its signature). */
  const login = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', redirect: 'manual' });
    expect(res.status).toBe(302);
    return res.headers
      .getSetCookie()
      .map((line) => line.split(';')[0]!)
      .filter((pair) => !pair.endsWith('='))
      .join('; ');
  };

  it("signs in, lists the user's sessions, and signs out the other devices", async () => {
    const laptop = await login();
    const phone = await login();
    const get = (path: string, cookie: string) => fetch(`http://127.0.0.1:${port}${path}`, { headers: { cookie } });
    expect(await (await get('/', laptop)).text()).toBe('Hello alice');
    expect(await (await get('/', phone)).text()).toBe('Hello alice');
    const listed = (await (await get('/sessions', laptop)).json()) as { current: boolean }[];
    expect(listed).toHaveLength(2);
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    const res = await fetch(`http://127.0.0.1:${port}/logout-others`, { method: 'POST', headers: { cookie: laptop } });
    expect(await res.json()).toEqual({ signedOut: 1 });
    expect(await (await get('/', laptop)).text()).toBe('Hello alice');
    expect(await (await get('/', phone)).text()).toBe('Please sign in');
  });
});
