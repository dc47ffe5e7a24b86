/** Machine-readable reasons, stable across versions: match on `error.code`, not on messages. */
export type SessionKitErrorCode =
  | 'ERR_CONFIG'
  | 'ERR_INVALID_ID'
  | 'ERR_INVALID_USER_ID'
  | 'ERR_INVALID_OPTION'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_SERIALIZE'
  | 'ERR_CORRUPT'
  | 'ERR_SESSION_LIMIT'
  | 'ERR_CONFLICT'
  | 'ERR_REDIS';

export class SessionKitError extends Error {
  readonly code: SessionKitErrorCode;

  constructor(code: SessionKitErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionKitError';
    this.code = code;
  }
}

/** A stored value that is not a session we can read (bad JSON, wrong shape, wrong Redis type). */
export class CorruptSessionError extends SessionKitError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_CORRUPT', message, options);
    this.name = 'CorruptSessionError';
  }
}

/** `maxSessionsPerUser` with policy 'reject': the user already has the maximum. */
export class SessionLimitError extends SessionKitError {
  constructor(readonly limit: number) {
    super('ERR_SESSION_LIMIT', `the user already has ${limit} active sessions (maxSessionsPerUser, policy 'reject')`);
    this.name = 'SessionLimitError';
  }
}

/** Redis rejected or failed a command; `cause` is the client's error. */
export class RedisOperationError extends SessionKitError {
  constructor(
    readonly operation: string,
    cause: unknown,
  ) {
    // node-redis's TimeoutError has no message: its class says what happened.
    const detail = cause instanceof Error ? cause.message || cause.constructor.name : String(cause);
    super('ERR_REDIS', `SessionKit ${operation} failed: ${detail}`, { cause });
    this.name = 'RedisOperationError';
    // ioredis hangs the failed command on its errors (`error.command.args`): key names that hold
    // session ids, and for a write the whole session data. Keep the command's name only, so that
    // logging this error (console.error prints the cause) cannot leak either.
    const command = (cause as { command?: { name?: unknown } } | null | undefined)?.command;
    if (command && typeof command === 'object' && 'args' in command) {
      (cause as { command: unknown }).command = { name: command.name };
    }
  }
}

/**
 * A rethrow for adapters whose framework answers with an error's HTTP status (Fastify reads
 * `statusCode`, Koa `status`): Redis failures (down, slow, refusing) get 503, which says "try
 * again", not "we have a bug". A status already set is kept; the property is not enumerable, so
 * it does not show when the error is logged as JSON.
 */
export function rethrowWithStatus(property: 'statusCode' | 'status'): (error: unknown) => never {
  return (error) => {
    const redisFailure = error instanceof RedisOperationError || (error as { code?: unknown } | null)?.code === 'ERR_REDIS';
    if (redisFailure && (error as Record<string, unknown>)[property] === undefined) {
      Object.defineProperty(error, property, { value: 503, enumerable: false, writable: true, configurable: true });
    }
    throw error;
  };
}
