import { expect } from 'vitest';
import type { SessionInfo } from '@sessionkit/core';
import { CookieJar } from '@sessionkit/testing';
import { sessionHandle } from '../src/index.js';

/**
 * A cookie jar over fetch, shared across ports of one host (as a browser does). Like a browser,
 * it forgets a cookie once its Max-Age/Expires has passed.
 *
 * Each app's test/helpers.ts extends it with `sessionIdOf`: express-session and @fastify/session
 * sign the session cookie in different formats.
 */
export abstract class Agent {
  readonly cookies = new CookieJar();
  /** The Set-Cookie lines of the last response. */
  lastSetCookie: string[] = [];

  constructor(public userAgent = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36') {}

  /** The session id inside the (URI-decoded) value of the signed `sid` cookie. */
  protected abstract sessionIdOf(cookie: string): string;

  async request(
    method: 'GET' | 'POST',
    url: string,
    form?: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; location: string | null; text: string }> {
    this.cookies.forgetLapsed();
    const cookie = this.cookies.header();
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
    this.cookies.absorb(this.lastSetCookie);
    return { status: res.status, location: res.headers.get('location'), text: await res.text() };
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

  /**
   * The signed-in user's name on the home page, or null when the app sends us to sign in. Any
   * other answer (a 503 while Redis is down) throws, so that it never passes for "signed out".
   */
  async whoAmI(base: string): Promise<string | null> {
    const res = await this.get(`${base}/`);
    if (res.status === 303) return null;
    if (res.status !== 200) throw new Error(`home page answered ${res.status}`);
    return /data-testid="greeting">Hello, ([^<]+)</.exec(res.text)?.[1] ?? null;
  }

  /** The session id in the `sid` cookie, if there is one. */
  get sid(): string | undefined {
    const raw = this.cookies.get('sid');
    if (!raw) return undefined;
    return this.sessionIdOf(decodeURIComponent(raw));
  }
}

/** An app's Agent class, for the shared suites to make browsers with. */
export type AgentClass = new (userAgent?: string) => Agent;

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

/**
 * The page's rows are exactly the `stored` sessions, and their "Signed in" and "Last seen" times
 * are the store's own, and plausible: no earlier than `since`, fresh ("just now").
 */
export function expectRowsMatchStored(rows: SessionRow[], stored: SessionInfo[], since: number): void {
  expect(rows).toHaveLength(stored.length);
  for (const row of rows) {
    const session = stored.find((s) => sessionHandle(s.id) === row.handle)!;
    expect(session).toBeDefined();
    expect(row.createdAt).toBe(session.createdAt);
    expect(row.lastSeenAt).toBe(session.lastSeenAt);
    expect(row.createdAt).toBeGreaterThanOrEqual(since);
    expect(row.lastSeenAt).toBeGreaterThanOrEqual(row.createdAt);
    expect(row.lastSeenAt).toBeLessThanOrEqual(Date.now());
    expect(row.createdText).toBe('just now');
    expect(row.lastSeenText).toBe('just now');
  }
}
