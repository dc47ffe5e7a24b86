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
 * A cookie jar over fetch that hands back the Response itself (HttpClient parses it): one
 * "browser", following no redirects. Cookies are per host, not per port, and are forgotten once
 * their Max-Age/Expires has passed, as in browsers. `path` may also be a whole URL (another
 * server, the same jar).
 */
export class FetchAgent {
  cookies = new CookieJar();

  constructor(public base: string) {}

  async request(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    this.cookies.forgetLapsed();
    const cookie = this.cookies.header();
    const res = await fetch(path.startsWith('http') ? path : this.base + path, {
      method,
      body: init.body,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
    this.cookies.absorb(res.headers.getSetCookie());
    return res;
  }

  async json<T = Record<string, unknown>>(method: string, path: string): Promise<{ status: number; body: T }> {
    const res = await this.request(method, path);
    return { status: res.status, body: (await res.json()) as T };
  }

  /** Another browser with a copy of this one's cookies. */
  clone(): this {
    const copy = new (this.constructor as new (base: string) => this)(this.base);
    copy.cookies = this.cookies.copy();
    return copy;
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
