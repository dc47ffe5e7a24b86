import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { clientStatus } from '@sessionkit/example-shared';
import { type AppSettings, SETTINGS } from '../lib/settings.js';

export interface ServeOptions {
  client: AppSettings['client'];
  /** Sign the session cookie: the first signs, all verify. Every instance needs the same ones. */
  secrets: string[];
  /**
   * Behind a TLS-terminating proxy: X-Forwarded-Proto decides the cookie's Secure flag and
   * X-Forwarded-For the IP shown on the Active sessions page. Only when every request comes
   * through the proxy. Default false.
   */
  trustProxy?: boolean;
  port: number;
  host?: string | undefined;
}

const dir = fileURLToPath(new URL('..', import.meta.url));

/**
 * The production build (dist/, `next build`) on Next's own server, in this process (a custom
 * server, as Next documents it): the Redis client is handed to the app through `globalThis`, so
 * the app and this process share one connection. Resolves once listening.
 */
export async function serve(options: ServeOptions): Promise<Server> {
  (globalThis as { [SETTINGS]?: AppSettings })[SETTINGS] = {
    client: options.client,
    secrets: options.secrets,
    trustProxy: options.trustProxy ?? false,
    redisStatus: () => clientStatus(options.client),
  };
  const app = next({ dev: false, dir });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = createServer((req, res) => {
    // The client's address for the app (Next's handlers see no socket), never one a client sent.
    const forwarded = options.trustProxy
      ? String(req.headers['x-forwarded-for'] ?? '')
          .split(',')[0]!
          .trim()
      : '';
    req.headers['x-sessionkit-client-ip'] = forwarded || req.socket.remoteAddress?.replace(/^::ffff:/, '') || '';
    void handle(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
