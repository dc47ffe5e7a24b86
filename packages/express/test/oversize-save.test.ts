import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { Agent, listen, SECRET, sleep, useRedis, type Running } from './helpers.js';

/**
 * What docs/security.md says of a save over `maxPayloadBytes`, over HTTP on Express 5: express-session
 * saves a changed session on its own when the response ends, and by then it has already written
 * the status line and headers. So that implicit save cannot turn the response into a 500: the
 * client gets the route's own status, the change is not stored, and the error reaches the error
 * handler after the response (with `res.headersSent`). A route that must answer 500 saves
 * explicitly before responding.
 */

declare module 'express-session' {
  interface SessionData {
    big?: string;
  }
}

const redis = useRedis();
const MAX = 10_000;
const BIG = 'x'.repeat(2 * MAX);

describe('a session save over maxPayloadBytes, through express-session', () => {
  let store: RedisStore;
  let app: Running;
  /** What the app's error handler saw: the error code, and whether the response had already started. */
  const handled: { code: unknown; headersSent: boolean }[] = [];

  beforeAll(async () => {
    store = new RedisStore({ client: redis.client(), maxPayloadBytes: MAX });
    const web = express();
    web.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    web.post('/login', (req, res, next) => {
      req.session.userId = 'alice';
      req.session.save((err) => (err ? next(err) : res.json({ ok: true })));
    });
    web.get('/me', (req, res) => {
      res.json({ userId: req.session.userId ?? null, big: req.session.big?.length ?? 0 });
    });
    // Implicit saves: the route responds, express-session saves on the way out.
    web.post('/grow', (req, res) => {
      req.session.big = BIG;
      res.json({ ok: true });
    });
    web.post('/grow-and-redirect', (req, res) => {
      req.session.big = BIG;
      res.redirect('/me');
    });
    // The documented way to answer 500: save first, respond after.
    web.post('/grow-explicitly', (req, res, next) => {
      req.session.big = BIG;
      req.session.save((err) => (err ? next(err) : res.json({ ok: true })));
    });
    web.use((err: Error & { code?: string }, _req: Request, res: Response, next: NextFunction) => {
      handled.push({ code: err.code, headersSent: res.headersSent });
      if (res.headersSent) return next(err); // Express's advice: too late to answer, let it close
      res.status(500).json({ code: err.code ?? null });
    });
    app = await listen(web);
  });
  afterAll(async () => {
    await app?.close();
    store?.close();
  });

  /** The error handler runs after the response has gone: waits for it, by a bounded count of steps. */
  async function nextError(count: number) {
    for (let i = 0; i < 100 && handled.length < count; i++) await sleep(20);
    return handled[count - 1];
  }

  it('implicit save: the client gets the route status (200, 302), the change is dropped, and the error reaches next after the response', async () => {
    const alice = new Agent(app.url);
    expect((await alice.json('POST', '/login')).status).toBe(200);

    const grown = await alice.json('POST', '/grow');
    expect(grown).toEqual({ status: 200, body: { ok: true } });
    expect(await nextError(1)).toEqual({ code: 'ERR_PAYLOAD_TOO_LARGE', headersSent: true });
    expect((await alice.json('GET', '/me')).body).toEqual({ userId: 'alice', big: 0 });

    const redirected = await alice.request('POST', '/grow-and-redirect');
    expect(redirected.status).toBe(302);
    await redirected.arrayBuffer();
    expect(await nextError(2)).toEqual({ code: 'ERR_PAYLOAD_TOO_LARGE', headersSent: true });
    expect((await alice.json('GET', '/me')).body).toEqual({ userId: 'alice', big: 0 });
  });

  it('explicit req.session.save() before responding: the route answers 500 with ERR_PAYLOAD_TOO_LARGE', async () => {
    const alice = new Agent(app.url);
    await alice.json('POST', '/login');
    const before = handled.length;
    const res = await alice.json('POST', '/grow-explicitly');
    expect(res).toEqual({ status: 500, body: { code: 'ERR_PAYLOAD_TOO_LARGE' } });
    expect(handled.slice(before)).toEqual([{ code: 'ERR_PAYLOAD_TOO_LARGE', headersSent: false }]);
    expect((await alice.json('GET', '/me')).body).toEqual({ userId: 'alice', big: 0 });
  });
});
