import { Body, Controller, Get, Inject, type INestApplication, Module, Post, Req, Session, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { SessionKitModule, type SessionKitModuleOptions, SessionKitService, type SessionRequest } from '@sessionkit/nestjs';
import { HttpClient, sessionHandle, sessionKey, useRedis } from '@sessionkit/testing';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * A real Nest app on each platform, listening on a real port, driven over HTTP by clients with
 * their own cookie jars (one per device), on a real redis-server.
 */
const redis = useRedis();
const SECRET = 'a-nest-test-secret-that-is-at-least-32-characters';

@Controller()
class AccountController {
  constructor(@Inject(SessionKitService) private readonly sessions: SessionKitService) {}

  @Post('login')
  async login(@Req() req: SessionRequest, @Body() body: { user: string }) {
    const session = await this.sessions.regenerate(req);
    session.userId = body.user;
    return { sid: this.sessions.sessionIdOf(req) };
  }

  // Nest's own @Session(): the platform's session object, on Express and on Fastify alike.
  @Get('me')
  me(@Session() session: { userId?: string; views?: number }) {
    session.views = (session.views ?? 0) + 1;
    return { userId: session.userId ?? null, views: session.views };
  }

  @Get('sessions')
  list(@Req() req: SessionRequest) {
    return this.sessions.listSessions(req);
  }

  @Post('sessions/revoke')
  async revoke(@Req() req: SessionRequest, @Body() body: { sid: string }) {
    return { revoked: await this.sessions.revokeSession(req, body.sid) };
  }

  @Post('sessions/sign-out-others')
  async signOutOthers(@Req() req: SessionRequest) {
    return { count: await this.sessions.signOutEverywhereElse(req) };
  }

  @Post('sessions/sign-out-everywhere')
  async signOutEverywhere(@Req() req: SessionRequest) {
    return { count: await this.sessions.signOutEverywhere(req) };
  }
}

const CONFIG = Symbol('config');

/** Stands for the app's own configuration module (a ConfigModule, say). */
function configModule(values: { client: Redis; secret: string; prefix: string }) {
  @Module({ providers: [{ provide: CONFIG, useValue: values }], exports: [CONFIG] })
  class ConfigModule {}
  return ConfigModule;
}

function appModule(sessionKit: ReturnType<typeof SessionKitModule.forRoot>): Type {
  @Module({ imports: [sessionKit], controllers: [AccountController] })
  class AppModule {}
  return AppModule;
}

const platforms = {
  express: () => new ExpressAdapter(),
  fastify: () => new FastifyAdapter(),
};

type Platform = keyof typeof platforms;

/** Creates the app (errors thrown, not process.abort()) and listens on a free port. */
async function start(platform: Platform, module: Type): Promise<{ app: INestApplication; url: string }> {
  const app = await NestFactory.create(module, platforms[platform](), { logger: false, abortOnError: false });
  await app.listen(0, '127.0.0.1');
  return { app, url: await app.getUrl() };
}

describe.each(Object.keys(platforms) as Platform[])('SessionKitModule on %s', (platform) => {
  let app: INestApplication;
  let url = '';
  let client: Redis;
  const device = () => new HttpClient(url);
  /** A user of this platform's run: the two runs share one Redis. */
  const user = (name: string) => `${platform}-${name}`;

  async function login(name: string) {
    const http = device();
    const reply = await http.post('/login', { user: user(name) });
    expect(reply.status).toBe(201);
    expect(reply.json.sid).toEqual(expect.any(String));
    return { http, sid: reply.json.sid as string };
  }

  beforeAll(async () => {
    client = redis.client();
    ({ app, url } = await start(platform, appModule(SessionKitModule.forRoot({ client, secret: SECRET, store: { prefix: `${platform}:` } }))));
  });

  afterAll(async () => {
    await app?.close();
  });

  it('sets up sessions in Redis: the user set at login stays in the session across requests', async () => {
    const { http, sid } = await login('alice');
    expect((await http.get('/me')).json).toEqual({ userId: user('alice'), views: 1 });
    expect((await http.get('/me')).json).toEqual({ userId: user('alice'), views: 2 });
    // In Redis, under the store's prefix, and with the cookie options given (here the defaults).
    expect(await client.exists(sessionKey(sid, `${platform}:`))).toBe(1);
    expect(http.lastSetCookie.join(';')).toMatch(/HttpOnly/i);
    expect(http.lastSetCookie.join(';')).toMatch(/SameSite=Lax/i);
    // A visitor whose session nobody writes to costs no Redis write and gets no cookie (saveUninitialized: false).
    const visitor = device();
    expect((await visitor.get('/sessions')).json).toEqual([]);
    expect(visitor.cookies.size).toBe(0);
  });

  it("lists the user's devices, the current one marked", async () => {
    const phone = await login('bea');
    const laptop = await login('bea');
    const listed = (await phone.http.get('/sessions')).json as { id: string; current: boolean }[];
    expect(listed.map((s) => s.id).sort()).toEqual([phone.sid, laptop.sid].map(sessionHandle).sort());
    expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([sessionHandle(phone.sid)]);
    expect((await device().get('/sessions')).json).toEqual([]); // anonymous
  });

  it("revokes another device of the user, and refuses another user's session", async () => {
    const phone = await login('carl');
    const laptop = await login('carl');
    const other = await login('dora');

    expect((await phone.http.post('/sessions/revoke', { sid: other.sid })).json).toEqual({ revoked: false });
    expect((await other.http.get('/me')).json.userId).toBe(user('dora'));

    expect((await phone.http.post('/sessions/revoke', { sid: laptop.sid })).json).toEqual({ revoked: true });
    expect((await laptop.http.get('/me')).json.userId).toBeNull();
    expect((await phone.http.get('/me')).json.userId).toBe(user('carl'));
  });

  it('signs out everywhere else: the current session stays, the others end', async () => {
    const phone = await login('erin');
    const laptop = await login('erin');
    const tablet = await login('erin');
    expect((await phone.http.post('/sessions/sign-out-others')).json).toEqual({ count: 2 });
    expect((await phone.http.get('/me')).json.userId).toBe(user('erin'));
    expect((await laptop.http.get('/me')).json.userId).toBeNull();
    expect((await tablet.http.get('/me')).json.userId).toBeNull();
    expect(((await phone.http.get('/sessions')).json as { id: string }[]).map((s) => s.id)).toEqual([sessionHandle(phone.sid)]);
  });

  it('signs out everywhere: every session ends, this one included', async () => {
    const phone = await login('finn');
    const laptop = await login('finn');
    expect((await phone.http.post('/sessions/sign-out-everywhere')).json).toEqual({ count: 2 });
    expect((await phone.http.get('/me')).json.userId).toBeNull();
    expect((await laptop.http.get('/me')).json.userId).toBeNull();
    expect(await app.get(SessionKitService).store.countUserSessions(user('finn'))).toBe(0);
  });

  it('forRootAsync: builds the options from an injected configuration', async () => {
    const prefix = `${platform}-async:`;
    const sessionKit = SessionKitModule.forRootAsync({
      imports: [configModule({ client, secret: SECRET, prefix })],
      inject: [CONFIG],
      useFactory: (config: { client: Redis; secret: string; prefix: string }): SessionKitModuleOptions => ({
        client: config.client,
        secret: config.secret,
        store: { prefix: config.prefix },
      }),
    });
    const other = await start(platform, appModule(sessionKit));
    try {
      const http = new HttpClient(other.url);
      const { sid } = (await http.post('/login', { user: user('gus') })).json as { sid: string };
      expect((await http.get('/me')).json.userId).toBe(user('gus'));
      expect(await client.exists(sessionKey(sid, prefix))).toBe(1);
    } finally {
      await other.app.close();
    }
  });

  it('a missing or short secret stops the app at start-up and says what is needed', async () => {
    for (const secret of [undefined, 'too-short']) {
      const options = { client, secret } as unknown as SessionKitModuleOptions;
      await expect(start(platform, appModule(SessionKitModule.forRoot(options)))).rejects.toThrow(/`secret` is required: a string of at least 32 characters/);
    }
  });
});

it('an app on another platform than Express or Fastify gets a clear error', async () => {
  // A real adapter that says it is another platform, as a third-party adapter would.
  class OtherAdapter extends ExpressAdapter {
    override getType(): string {
      return 'hyper-express';
    }
  }
  const module = appModule(SessionKitModule.forRoot({ client: redis.client(), secret: SECRET }));
  const app = await NestFactory.create(module, new OtherAdapter(), { logger: false, abortOnError: false });
  try {
    await expect(app.init()).rejects.toThrow(
      'SessionKitModule supports @nestjs/platform-express and @nestjs/platform-fastify; this app runs on "hyper-express"',
    );
  } finally {
    await app.close();
  }
});
