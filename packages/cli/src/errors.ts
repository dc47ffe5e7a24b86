/**
 * What the CLI can fail with, and the exit status each one means:
 * 0 done (doctor: nothing failed), 1 a failure at run time (Redis unreachable or refusing, a
 * failed doctor check), 2 a usage error (bad arguments or options), 130 interrupted (Ctrl-C).
 */
export const EXIT = Object.freeze({ ok: 0, failure: 1, usage: 2, interrupted: 130 });

/** Bad arguments or options: exit 2, and the message says what to type instead. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Redis could not be reached (refused, timed out, TLS failure, no slot map). */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
}

/** A check that ran and found something wrong (doctor): the report was already printed. */
export class CheckFailed extends Error {
  override name = 'CheckFailed';
}
