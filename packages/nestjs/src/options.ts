import type { CookieSession, FrameworkStoreOptions } from '@sessionkit/core/toolkit';

/** Cookie settings, applied the same way on Express (express-session) and Fastify (@fastify/session). */
export interface SessionKitCookieOptions {
  /** The cookie's name. Default: the platform's (`connect.sid` on Express, `sessionId` on Fastify). */
  name?: string;
  /** Lifetime in MILLISECONDS; the Redis record expires with it. Default: none (a browser-session cookie, and the store's `ttl`). */
  maxAge?: number;
  /** Default `'auto'`: Secure over HTTPS, and plain http://localhost still works. Behind a proxy, set the platform's trust proxy. */
  secure?: boolean | 'auto';
  /** Default `'lax'`. */
  sameSite?: 'lax' | 'strict' | 'none' | boolean;
  /** Default true. */
  httpOnly?: boolean;
  domain?: string;
  /** Default `'/'`. */
  path?: string;
}

/** The store's options (everything but the client): `prefix`, `ttl` (seconds), `userId`, `meta`, `maxSessionsPerUser`, ... */
export type SessionKitStoreOptions = Omit<FrameworkStoreOptions<CookieSession>, 'client' | 'store'>;

export interface SessionKitModuleOptions {
  /** ioredis `Redis` / `Cluster`, or a connected node-redis client, as the other adapters take it. */
  client: NonNullable<FrameworkStoreOptions['client']>;
  /**
   * Signs the session cookie: at least 32 characters, the same on every instance. An array
   * rotates secrets (the first signs, all verify).
   */
  secret: string | string[];
  cookie?: SessionKitCookieOptions;
  /** Passed to the store as given (see docs/express.md and docs/fastify.md for each option). */
  store?: SessionKitStoreOptions;
  /** Re-send the cookie (and slide the expiry) on every response. Default true: SessionKit throttles the Redis side (`touchAfter`). */
  rolling?: boolean;
  /** Save (and send a cookie for) sessions nobody wrote to. Default false: no Redis write for visitors who never sign in. */
  saveUninitialized?: boolean;
}

/** @fastify/session refuses shorter secrets; the same rule on Express keeps one configuration valid on both. */
const MIN_SECRET_LENGTH = 32;

/** Checks the options once, when Nest builds the module, so a mistake stops the app at start-up with a message that says what to do. */
export function checkOptions(options: SessionKitModuleOptions | undefined): SessionKitModuleOptions {
  if (!options || typeof options !== 'object') {
    throw new TypeError('SessionKitModule: options are required: SessionKitModule.forRoot({ client, secret })');
  }
  if (!options.client) {
    throw new TypeError('SessionKitModule: `client` is required: an ioredis Redis/Cluster or a connected node-redis client');
  }
  const secrets = Array.isArray(options.secret) ? options.secret : [options.secret];
  if (secrets.length === 0 || secrets.some((secret) => typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH)) {
    throw new TypeError(
      `SessionKitModule: \`secret\` is required: a string of at least ${MIN_SECRET_LENGTH} characters (or an array of them), the same on every instance, ` +
        'e.g. from SESSION_SECRET="$(openssl rand -base64 32)"',
    );
  }
  return options;
}
