import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStaticHandler, type StaticHandlerContext } from 'react-router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { cookiePair } from './helpers.js';

/**
 * The README's two files, exactly as printed, as a React Router app would hold them
 * (app/sessions.server.js, app/routes/account.js), run by React Router's static handler on a
 * real Redis. docs/react-router.md prints the same two blocks.
 */
const root = fileURLToPath(new URL('../../..', import.meta.url));
const redis = useRedis();

function jsBlocks(file: string): string[] {
  return [...readFileSync(join(root, file), 'utf8').matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

for (const doc of ['packages/react-router/README.md', 'docs/react-router.md']) {
  describe(`${doc}: the snippets run as printed`, () => {
    let dir: string;
    let handler: ReturnType<typeof createStaticHandler>;
    let storage: { core: { client: { quit(): Promise<unknown> } } };

    beforeAll(async () => {
      const [sessions, account] = jsBlocks(doc);
      expect(sessions).toContain('createRedisSessionStorage');
      expect(account).toContain('export async function action');
      mkdirSync(join(root, '.tmp'), { recursive: true });
      dir = mkdtempSync(join(root, '.tmp', 'rr-readme-'));
      mkdirSync(join(dir, 'app', 'routes'), { recursive: true });
      writeFileSync(join(dir, 'app', 'sessions.server.js'), sessions!);
      writeFileSync(join(dir, 'app', 'routes', 'account.js'), account!);
      process.env.REDIS_URL = redis.server.url;
      process.env.SESSION_SECRET = 'readme test secret';
      const route = await import(join(dir, 'app', 'routes', 'account.js'));
      storage = (await import(join(dir, 'app', 'sessions.server.js'))).sessionStorage;
      handler = createStaticHandler([{ id: 'account', path: '/account', loader: route.loader, action: route.action }]);
    });
    afterAll(async () => {
      await storage?.core.client.quit();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const post = async (intent: string, cookie?: string) => {
      const result = await handler.query(
        new Request('http://app.test/account', {
          method: 'POST',
          body: new URLSearchParams({ intent }),
          headers: cookie ? { cookie } : {},
        }),
      );
      return result;
    };
    const get = async (cookie: string) => (await handler.query(new Request('http://app.test/account', { headers: { cookie } }))) as StaticHandlerContext;

    it('signs in twice, shows the flash once, signs out the other device, then signs out', async () => {
      const signIn = async () => {
        const res = (await post('sign-in')) as Response;
        expect(res.status).toBe(302);
        return cookiePair(res.headers.get('set-cookie')!);
      };
      const laptop = await signIn();
      const phone = await signIn();
      expect(laptop).not.toBe(phone);

      const first = await get(laptop);
      expect(first.loaderData.account).toEqual({ signedIn: true, userId: 'alice', notice: 'Welcome back', devices: 2 });
      expect(first.loaderHeaders.account?.get('set-cookie')).toMatch(/^__session=/);
      expect((await get(laptop)).loaderData.account.notice).toBeNull();

      const others = (await post('sign-out-others', laptop)) as StaticHandlerContext;
      expect(others.actionData?.account).toEqual({ revoked: 1 });
      expect((await get(phone)).loaderData.account).toEqual({ signedIn: false });
      expect((await get(laptop)).loaderData.account.devices).toBe(1);

      const out = (await post('sign-out', laptop)) as Response;
      expect(out.headers.get('set-cookie')).toMatch(/Expires=Thu, 01 Jan 1970/);
      expect((await get(laptop)).loaderData.account).toEqual({ signedIn: false });
    });
  });
}
