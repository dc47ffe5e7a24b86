import { AsyncLocalStorage } from 'node:async_hooks';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import next from 'next';
import { clientStatus, type Metrics } from '@sessionkit/example-shared';
import type { SessionKit } from '@sessionkit/next';
import type { AppSession } from '../lib/app-session.js';
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
  /** With METRICS=1 (main.ts): SessionKit's metrics, served on GET /metrics in Prometheus's text format. */
  metrics?: Metrics | undefined;
  /** However active, a session ends this long after sign-in, in milliseconds. Default 30 days (OWASP ASVS 7.3.2). */
  absoluteTimeout?: number;
  /** Encrypt sessions at rest with these keys (SESSION_ENCRYPTION_KEYS, see encryptionKeysFromEnv); none: in clear. */
  encryptionKeys?: readonly string[] | undefined;
}

export interface Served {
  server: Server;
  /** The app's sessions on this server (their core store, events, per-user calls): undefined until a request has used them. */
  sessionKit(): SessionKit<AppSession> | undefined;
}

const dir = fileURLToPath(new URL('..', import.meta.url));

/**
 * Each request runs inside the settings of the server that took it (lib/settings.ts reads them):
 * one storage for the process, on globalThis, since the app's bundle does not share this module.
 */
const requestSettings = settingsStorage();

function settingsStorage(): AsyncLocalStorage<AppSettings> {
  const holder = globalThis as { [SETTINGS]?: AsyncLocalStorage<AppSettings> };
  holder[SETTINGS] ??= new AsyncLocalStorage<AppSettings>();
  return holder[SETTINGS];
}

/**
 * The production build (dist/, `next build`) on Next's own server, in this process (a custom
 * server, as Next documents it): the Redis client is handed to the app with each request, so the
 * app and this process share one connection. Each call is a server of its own, with its own
 * settings and sessions (several may run in one process, as the tests run them). Resolves once
 * listening.
 */
export async function serve(options: ServeOptions): Promise<Served> {
  const settings: AppSettings = {
    client: options.client,
    secrets: options.secrets,
    trustProxy: options.trustProxy ?? false,
    absoluteTimeout: options.absoluteTimeout ?? 30 * 24 * 3600 * 1000,
    encryptionKeys: options.encryptionKeys,
    redisStatus: () => clientStatus(options.client),
  };
  const app = next({ dev: false, dir });
  await app.prepare();
  const handle = app.getRequestHandler();
  const metrics = options.metrics;
  const server = createServer((req, res) => {
    // Answered here, before Next: a scrape reads no cookie and starts no session. SessionKit's
    // operations in the app reach the metrics through diagnostics_channel, which is process-wide.
    // Without METRICS=1, Next answers /metrics (not found).
    if (metrics && req.method === 'GET' && new URL(req.url ?? '/', 'http://localhost').pathname === '/metrics') {
      serveMetrics(metrics, res);
      return;
    }
    // The client's address for the app (Next's handlers see no socket), never one a client sent.
    const forwarded = options.trustProxy
      ? String(req.headers['x-forwarded-for'] ?? '')
          .split(',')[0]!
          .trim()
      : '';
    req.headers['x-sessionkit-client-ip'] = forwarded || req.socket.remoteAddress?.replace(/^::ffff:/, '') || '';
    requestSettings.run(settings, () => void handle(req, res));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, sessionKit: () => settings.sessionKit };
}

function serveMetrics(metrics: Metrics, res: ServerResponse<IncomingMessage>): void {
  metrics.scrape().then(
    (text) => {
      res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
      res.end(text);
    },
    (error: unknown) => {
      console.error(error);
      res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end('Cannot read the metrics.\n');
    },
  );
}
