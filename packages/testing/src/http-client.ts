import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CookieJar } from './cookies.js';

/**
 * A fetch with one cookie jar: what a browser does with a session cookie, over real HTTP,
 * including forgetting it once its Max-Age/Expires has passed. JSON bodies in and out; the
 * adapters' test helpers extend it with what their framework's cookie is called.
 */
export class HttpClient {
  cookies = new CookieJar();
  lastSetCookie: string[] = [];

  /** `keepLapsed`: see CookieJar.keepLapsed. */
  constructor(
    readonly base: string,
    options: { keepLapsed?: boolean } = {},
  ) {
    this.cookies.keepLapsed = options.keepLapsed ?? false;
  }

  /** `base` sends the request (and this jar's cookies) to another server, e.g. a second app instance. */
  // biome-ignore lint/suspicious/noExplicitAny: the test app's JSON replies; each test asserts the shape it reads.
  async request(method: string, path: string, body?: unknown, base = this.base): Promise<{ status: number; json: any; headers: Headers }> {
    this.cookies.forgetLapsed();
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = this.cookies.header();
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), redirect: 'manual' });
    this.lastSetCookie = response.headers.getSetCookie();
    this.cookies.absorb(this.lastSetCookie);
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, json, headers: response.headers };
  }

  get(path: string) {
    return this.request('GET', path);
  }

  post(path: string, body: unknown = {}) {
    return this.request('POST', path, body);
  }
}

/**
 * Listens with `server` on a free loopback port; `close` also ends kept-alive connections, so a
 * test's server stops at once.
 */
export async function listenOn(server: Server): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
