import type { FastifyInstance } from 'fastify';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { cookieExpiry, RedisServer } from '@sessionkit/testing';
import { buildApp, type AppOptions } from '../src/app.js';

export const SECRET = 'fastify example test secret, 32+ characters long';

/** One redis-server for the file; every client made through it is closed at the end. */
export function useRedis() {
  const server = new RedisServer();
  const clients: Redis[] = [];
  beforeAll(async () => {
    await server.start();
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
    await server.dispose();
  });
  return {
    server,
    client(options: RedisOptions = {}): Redis {
      const client = new Redis({ host: server.host, port: server.port, ...options });
      clients.push(client);
      return client;
    },
  };
}

export interface Instance {
  url: string;
  app: FastifyInstance;
  client: Redis;
  stop(): Promise<void>;
}

/** One instance of the example app: its own Redis connection, its own HTTP port. */
export async function startInstance(redis: ReturnType<typeof useRedis>, options: Partial<AppOptions> = {}, clientOptions: RedisOptions = {}): Promise<Instance> {
  const client = redis.client(clientOptions);
  const app = await buildApp({ client, secret: SECRET, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    client,
    async stop() {
      if (stopped) return;
      stopped = true;
      await app.close();
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * A cookie jar over fetch, shared across ports of one host (as a browser does). Like a browser,
 * it forgets a cookie once its Max-Age/Expires has passed.
 */
export class Agent {
  readonly cookies = new Map<string, string>();
  /** When each cookie in `cookies` lapses (epoch ms); a cookie without one lasts as long as the agent. */
  readonly expiries = new Map<string, number>();
  lastSetCookie: string[] = [];

  constructor(public userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36') {}

  async request(method: 'GET' | 'POST', url: string, form?: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; location: string | null; text: string }> {
    this.forgetLapsed();
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, {
      method,
      redirect: 'manual',
      headers: {
        'user-agent': this.userAgent,
        ...(cookie ? { cookie } : {}),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
      signal: AbortSignal.timeout(10_000),
    });
    this.lastSetCookie = res.headers.getSetCookie();
    for (const line of this.lastSetCookie) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const lapsesAt = cookieExpiry(attrs);
      this.cookies.set(name, value);
      if (lapsesAt === undefined) this.expiries.delete(name);
      else this.expiries.set(name, lapsesAt);
    }
    this.forgetLapsed();
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
  }

  /** Drops the cookies whose expiry has passed. */
  forgetLapsed(now = Date.now()): void {
    for (const [name, at] of this.expiries) {
      if (at > now) continue;
      this.cookies.delete(name);
      this.expiries.delete(name);
    }
  }

  get(url: string) {
    return this.request('GET', url);
  }

  post(url: string, form: Record<string, string> = {}, headers: Record<string, string> = {}) {
    return this.request('POST', url, form, headers);
  }

  async signIn(base: string, username: string, password = 'password') {
    const res = await this.post(`${base}/login`, { username, password });
    if (res.status !== 303) throw new Error(`sign-in as ${username} failed with ${res.status}`);
    return res;
  }

  /** The signed-in user's name on the home page, or null when the app sends us to sign in. */
  async whoAmI(base: string): Promise<string | null> {
    const res = await this.get(`${base}/`);
    if (res.status === 303) return null;
    if (res.status !== 200) throw new Error(`home page answered ${res.status}`);
    return /data-testid="greeting">Hello, ([^<]+)</.exec(res.text)?.[1] ?? null;
  }

  /** The session id inside the signed cookie (@fastify/session: "<id>.<signature>", no prefix). */
  get sid(): string | undefined {
    const raw = this.cookies.get('sid');
    if (!raw) return undefined;
    const value = decodeURIComponent(raw);
    return value.slice(0, value.lastIndexOf('.'));
  }
}

export interface SessionRow {
  handle: string;
  current: boolean;
  /** The "Signed in" and "Last seen" cells' `<time datetime>`, in epoch ms (NaN if missing). */
  createdAt: number;
  lastSeenAt: number;
  /** What those cells show a person, e.g. "just now". */
  createdText: string;
  lastSeenText: string;
}

/** The rows of an Active sessions page, in page order. */
export function sessionRows(html: string): SessionRow[] {
  return [...html.matchAll(/<tr class="[^"]*" data-session="([0-9a-f]+)"( data-current="true")?>([\s\S]*?)<\/tr>/g)].map((m) => {
    const times = [...m[3]!.matchAll(/<time datetime="([^"]*)">([^<]*)/g)];
    return {
      handle: m[1]!,
      current: Boolean(m[2]),
      createdAt: Date.parse(times[0]?.[1] ?? ''),
      lastSeenAt: Date.parse(times[1]?.[1] ?? ''),
      createdText: times[0]?.[2] ?? '',
      lastSeenText: times[1]?.[2] ?? '',
    };
  });
}
