/**
 * Next.js 16 with one session store, for bench/app-server.ts: the production build of
 * bench/apps/next (built by the parent, bench/apps/next-build.ts) on Next's own request handler
 * behind node:http, in this process, as examples/next-app serves it. Same routes and session
 * contents as the other apps, as Route Handlers; the session lasts a day.
 *
 * `cookie` is iron-session 8, what Next users have now: the whole session sealed in the cookie,
 * nothing on the server, so the ceiling. Its /read unseals the cookie and sends nothing back, its
 * /write seals it again and sends it. The SessionKit rows use @sessionkit/next: /read is a
 * Server Component's `getSession()` (one GET, nothing written), /write a Route Handler's
 * `session()` and `save()`.
 */
import { createServer } from 'node:http';
import { NEXT_APP_DIR } from './next-build.js';
import { ioredis, listen, nodeRedis, SECRET } from './shared.js';
import { type BenchSettings, SETTINGS } from './next/lib/settings.js';

/** The stores by id, each SessionKit row with its own key prefix. */
const STORES: Record<string, (redisUrl: string) => Promise<BenchSettings>> = {
  cookie: async () => ({ store: 'iron-session', prefix: '', secret: SECRET }),
  sessionkit: async (url) => ({ store: 'sessionkit', client: await ioredis(url), prefix: 'nsk:', secret: SECRET }),
  'sessionkit-node-redis': async (url) => ({ store: 'sessionkit', client: await nodeRedis(url), prefix: 'nsknr:', secret: SECRET }),
};

export async function startNext(storeName: string, redisUrl: string): Promise<number> {
  const make = STORES[storeName];
  if (!make) throw new Error(`unknown next store ${storeName}`);
  (globalThis as { [SETTINGS]?: BenchSettings })[SETTINGS] = await make(redisUrl);
  // Next's main module is CommonJS whose exports are the function itself, which its types (ES
  // module declarations in a CommonJS package) do not say under NodeNext.
  const next = (await import('next')).default as unknown as typeof import('next')['default'];
  const app = next({ dev: false, dir: NEXT_APP_DIR });
  await app.prepare();
  const handle = app.getRequestHandler();
  return listen(createServer((req, res) => void handle(req, res)));
}
