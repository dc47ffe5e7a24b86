import { getIronSession, type IronSession } from 'iron-session';
import { cookies } from 'next/headers';
import { createSessionKit, type SessionKit } from '@sessionkit/next';
import { DAY_MS, fillLogin, type SessionBag } from '../../../session-data';
import { type BenchSettings, SETTINGS } from './settings';

const settings = () => (globalThis as { [SETTINGS]?: BenchSettings })[SETTINGS]!;

/** iron-session 8: the whole session sealed (iron: AES-256-CBC + HMAC-SHA256) in the cookie, nothing on the server. */
async function iron(): Promise<IronSession<SessionBag>> {
  return getIronSession<SessionBag>(await cookies(), {
    password: settings().secret,
    cookieName: 'sid',
    ttl: DAY_MS / 1000,
    cookieOptions: { secure: false, httpOnly: true, sameSite: 'lax', path: '/' },
  });
}

let built: SessionKit<SessionBag> | undefined;
/** @sessionkit/next, one kit for the process, built on the first request. */
function kit(): SessionKit<SessionBag> {
  const { client, prefix, secret } = settings();
  built ??= createSessionKit<SessionBag>({ client: client as never, secrets: secret, prefix, ttl: DAY_MS / 1000, cookie: { secure: false } });
  return built;
}

/** GET /login?u=N: a new session for user N. */
export async function login(u: string): Promise<void> {
  if (settings().store === 'iron-session') {
    const session = await iron();
    fillLogin(session, u);
    await session.save();
    return;
  }
  const session = await kit().session();
  fillLogin(session.data, u);
  await session.save();
}

/**
 * GET /read: the session read, nothing written. iron-session unseals the cookie and sends none
 * back; @sessionkit/next reads as a Server Component does (`getSession()`: one GET, no write).
 */
export async function read(): Promise<SessionBag> {
  const data: SessionBag = settings().store === 'iron-session' ? await iron() : (await kit().getSession()).data;
  return { userId: data.userId, counter: data.counter };
}

/** GET /write: the counter incremented and saved (iron-session: sealed again and sent; SessionKit: merged into Redis). */
export async function write(): Promise<SessionBag | undefined> {
  if (settings().store === 'iron-session') {
    const session = await iron();
    if (!session.userId) return undefined;
    session.counter = (session.counter ?? 0) + 1;
    await session.save();
    return { userId: session.userId, counter: session.counter };
  }
  const session = await kit().session();
  if (!session.data.userId) return undefined;
  session.data.counter = (session.data.counter ?? 0) + 1;
  await session.save();
  return { userId: session.data.userId, counter: session.data.counter };
}
