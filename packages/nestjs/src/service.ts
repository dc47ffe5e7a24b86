import { Inject, Injectable } from '@nestjs/common';
import { type ListedSession, type RequestHelpers, requestHelpers } from '@sessionkit/core/toolkit';
import type { SessionKitStore, SessionRequest, Wired } from './wire.js';

/** One of the signed-in user's sessions, as `listSessions` returns it (the toolkit's type). */
export type { ListedSession };

/** Where the module leaves what it wired, for the service: filled in while the app initialises. */
export const SESSIONKIT_WIRING = Symbol('SessionKitWiring');
export interface Wiring {
  current?: Wired;
}

/**
 * The signed-in user's sessions, for the request given (Nest's `@Req()`, on Express or Fastify).
 * A singleton: each method takes the request, so nothing here is request-scoped. The user is the
 * owner the store finds in the session (its `userId` option; by default `session.userId`).
 */
@Injectable()
export class SessionKitService {
  constructor(@Inject(SESSIONKIT_WIRING) private readonly wiring: Wiring) {}

  private get wired(): Wired {
    const wired = this.wiring.current;
    if (!wired) {
      throw new Error('SessionKitService: sessions are set up when the HTTP app initialises (app.init() or app.listen()); call it from a request');
    }
    return wired;
  }

  /** The store (`RedisStore` of @sessionkit/express or @sessionkit/fastify), for work without a request, e.g. an admin signing a user out everywhere. */
  /**
   * The toolkit's per-request helpers (the same the Fastify, Koa, Hono and Next adapters use), over
   * the wired store: built once, on first use.
   */
  private get helpers(): RequestHelpers<SessionRequest> {
    this.built ??= requestHelpers<SessionRequest>(this.wired.store, {
      current: (req) => ({ userId: this.userIdOf(req), sid: this.sessionIdOf(req) }),
      // Drop the request's copy too, or the platform would save it again when responding.
      drop: (req) => this.wired.destroy(req),
    });
    return this.built;
  }

  private built: RequestHelpers<SessionRequest> | undefined;

  get store(): SessionKitStore {
    return this.wired.store;
  }

  /** 'express' or 'fastify': the platform the app runs on. */
  get platform(): 'express' | 'fastify' {
    return this.wired.platform;
  }

  /** The owner of the request's session, or undefined when nobody is signed in. */
  userIdOf(req: SessionRequest): string | undefined {
    return this.wired.userIdOf(req);
  }

  /** The request's session id, or undefined without a session. */
  sessionIdOf(req: SessionRequest): string | undefined {
    return this.wired.sessionIdOf(req);
  }

  /**
   * Gives the request a fresh session (new id, empty) and returns it: call it at sign-in, before
   * setting the user (`(await sessions.regenerate(req)).userId = user.id`), so that an id planted
   * before the sign-in is worthless (session fixation). The platform's own `req.session`
   * (`@Session()`) is replaced by it.
   */
  regenerate(req: SessionRequest): Promise<Record<string, unknown>> {
    return this.wired.regenerate(req);
  }

  /** The signed-in user's live sessions, most recently seen first, the request's own marked `current`. Empty when anonymous. */
  listSessions(req: SessionRequest): Promise<ListedSession[]> {
    return this.helpers.listSessions.call(req);
  }

  /** How many live sessions the signed-in user has; 0 when anonymous. */
  async countSessions(req: SessionRequest): Promise<number> {
    const userId = this.userIdOf(req);
    return userId === undefined ? 0 : this.wired.store.countUserSessions(userId);
  }

  /**
   * Revokes one of the signed-in user's sessions; never anyone else's (the check runs inside
   * Redis). True if it was a live session of theirs. Revoking the request's own session also
   * destroys it for this request.
   */
  revokeSession(req: SessionRequest, sid: string): Promise<boolean> {
    return this.helpers.revokeSession.call(req, sid);
  }

  /** Signs the user out on every device, this one included. Returns how many sessions were revoked. */
  signOutEverywhere(req: SessionRequest): Promise<number> {
    return this.helpers.logoutEverywhere.call(req);
  }

  /** Signs the user out on every other device (after a password change, say); this session stays. Returns how many were revoked. */
  signOutEverywhereElse(req: SessionRequest): Promise<number> {
    return this.helpers.logoutEverywhere.call(req, { keepCurrent: true });
  }
}
