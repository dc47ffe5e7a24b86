import { headers } from 'next/headers';
import { messagePage } from '@sessionkit/example-shared/views';
import { settings } from './settings';

export const FRAMEWORK = 'Next.js';

export const NOTICES: Record<string, string> = {
  'signed-in': 'Signed in.',
  revoked: 'That session was signed out.',
  'not-found': 'That session had already ended.',
  others: 'Signed out of every other session.',
  everywhere: 'Signed out everywhere.',
  'signed-out': 'Signed out.',
  expired: 'Your session has ended. Please sign in again.',
};

export const html = (body: string, status = 200, extra: Record<string, string> = {}) =>
  new Response(body, { status, headers: { 'content-type': 'text/html; charset=utf-8', ...extra } });

/** A relative redirect, 303 by default (after a form POST, the browser GETs the target). */
export const redirect = (location: string, status = 303) => new Response(null, { status, headers: { location } });

/** The client's address: src/server.ts stamps the socket's (or, with TRUST_PROXY, X-Forwarded-For's) on each request. */
export async function clientIp(): Promise<string> {
  return (await headers()).get('x-sessionkit-client-ip') ?? '';
}

const FORM_LIMIT = 8192;

/** The urlencoded form of a POST (the app needs nothing more than two fields per form). */
export async function readForm(request: Request): Promise<Record<string, string>> {
  if (!(request.headers.get('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return {};
  const text = await request.text();
  if (text.length > FORM_LIMIT) throw Object.assign(new Error('That form is too large.'), { status: 413 });
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * Every route's frame: a cross-site POST refused (defence in depth beside SameSite=Lax), Redis
 * failures as a 503 "try again" page, nothing cached (pages show personal data).
 */
export function route(handle: (request: Request) => Promise<Response>): (request: Request) => Promise<Response> {
  return async (request) => {
    let response: Response;
    if (request.method === 'POST' && !sameOrigin(request)) {
      response = html(messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK }), 403);
    } else {
      try {
        response = await handle(request);
      } catch (error) {
        response = failure(error);
      }
    }
    response.headers.set('cache-control', 'no-store');
    return response;
  };
}

function failure(error: unknown): Response {
  const { code, status } = (error ?? {}) as { code?: unknown; status?: unknown };
  if (code === 'ERR_REDIS') {
    // Redis down, paused or timing out (see the client's commandTimeout): "try again", not a bug.
    console.error((error as Error).message);
    return html(
      messagePage('Sessions unavailable', 'The session store cannot be reached right now. Please try again in a moment.', { framework: FRAMEWORK }),
      503,
      { 'retry-after': '5' },
    );
  }
  if (status === 413) return html(messagePage('Bad request', (error as Error).message, { framework: FRAMEWORK }), 413);
  console.error(error);
  return html(messagePage('Something went wrong', 'The server could not complete that request. Please try again.', { framework: FRAMEWORK }), 500);
}

function sameOrigin(request: Request): boolean {
  const origin = request.headers.get('origin');
  if (!origin) return true;
  try {
    return origin !== 'null' && new URL(origin).host === request.headers.get('host');
  } catch {
    return false;
  }
}

/** Whether the server trusts a proxy's headers (for the cookie's Secure flag and the client IP). */
export const trustProxy = () => settings().trustProxy;
