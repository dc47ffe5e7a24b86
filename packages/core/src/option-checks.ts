import { SessionKitError } from './errors.js';

/*
 * Checks of what users mean, on top of the type checks in options.ts and framework-store.ts:
 * durations in the wrong unit, misspelt option names, and connect-redis options that have no
 * meaning here. A mistake that cannot be meant throws ERR_CONFIG; one that could be meant, or
 * that a migration from connect-redis carries along, is a process warning (it must not break a
 * deploy that worked with connect-redis).
 */

/**
 * Options of older connect-redis versions that mean nothing here, with what to do instead.
 * connect-redis 3 built its own node_redis client from `host`, `port`, `socket`, `url`, `pass`,
 * `db` and `unref`, and logged through `logErrors`; from version 4 on, it took a `client`.
 */
const CONNECT_REDIS_OPTIONS: Record<string, string> = {
  host: 'pass a connected client instead: client: new Redis({ host, port })',
  port: 'pass a connected client instead: client: new Redis({ host, port })',
  socket: 'pass a connected client instead: client: new Redis({ path: socket })',
  url: 'pass a connected client instead: client: new Redis(url)',
  pass: 'give the password to the client: new Redis({ password })',
  db: 'give the database to the client: new Redis({ db })',
  unref: 'call client.disconnect() or client.quit() where your process ends',
  logErrors: "listen to the client's 'error' event and the store's 'error' event instead",
};

/** The longest adapter `ttl` a browser can still present a cookie for: RFC 6265bis caps cookie lifetimes at 400 days, and Chrome enforces it. */
const MAX_ADAPTER_TTL_SECONDS = 400 * 86_400;
/** No session can be meant to last less than a second: one request round trip can take that long. */
const MIN_DURATION_MS = 1000;
/** Shorter than a minute is allowed (tests use it) but most likely seconds written as ms. */
const SHORT_DURATION_MS = 60_000;

/** Objects FrameworkStore built for its SessionStore: their names and durations were checked in adapter terms. */
const builtByFrameworkStore = new WeakSet<object>();

/** Marks the options FrameworkStore passes to SessionStore, so that core does not check them again in its own units. */
export function fromFrameworkStore<T extends object>(options: T): T {
  builtByFrameworkStore.add(options);
  return options;
}

const warned = new Set<string>();

/** One warning per code and option per process: apps and tests build many stores. */
function warn(code: string, option: string, message: string): void {
  const key = `${code}:${option}`;
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { type: 'SessionKitWarning', code });
}

function describeDuration(ms: number): string {
  const units: [number, string][] = [
    [365 * 86_400_000, 'years'],
    [86_400_000, 'days'],
    [3_600_000, 'hours'],
    [60_000, 'minutes'],
    [1000, 'seconds'],
  ];
  for (const [size, name] of units) {
    if (ms < size) continue;
    const amount = Number((ms / size).toPrecision(3));
    return `${amount} ${amount === 1 ? name.slice(0, -1) : name}`;
  }
  return `${ms} ms`;
}

const groups = (n: number) => String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '_');

/** Edit distance (insertions, deletions, substitutions, adjacent swaps), case-insensitive. */
function distance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known name closest to `name`, if it is close enough to be a typo. */
export function nearestOption(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  // Two edits, or a third of the name for long names: close enough for `tll`, `userID`,
  // `maxSessionPerUser`, not so loose that every short word matches something.
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function checkNames(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const legacy = Object.hasOwn(CONNECT_REDIS_OPTIONS, name) ? CONNECT_REDIS_OPTIONS[name] : undefined;
    if (legacy) {
      warn('SESSIONKIT_LEGACY_OPTION', name, `${where}: option ${name} is a connect-redis 3 option that means nothing here and is ignored; ${legacy}`);
      continue;
    }
    const near = nearestOption(name, known);
    warn(
      'SESSIONKIT_UNKNOWN_OPTION',
      name,
      `${where}: unknown option ${name} is ignored${near ? `; did you mean ${near}?` : ''} (known options: ${known.join(', ')})`,
    );
  }
}

/** Durations in ms (core's `ttl` and `absoluteTimeout`, the adapters' `absoluteTimeout`). */
function checkMilliseconds(name: string, value: unknown, { zeroMeansOff }: { zeroMeansOff: boolean }): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (zeroMeansOff && value === 0)) return;
  if (value < MIN_DURATION_MS) {
    throw new SessionKitError(
      'ERR_CONFIG',
      `option ${name} is in milliseconds: ${value} is read as ${value} ms, shorter than any session can be meant to last` +
        ` (at least 1000 ms); if you meant ${value} seconds, write ${groups(value * 1000)}`,
    );
  }
  if (value < SHORT_DURATION_MS) {
    warn(
      'SESSIONKIT_SHORT_DURATION',
      name,
      `option ${name} is in milliseconds: ${value} is read as ${describeDuration(value)}; if you meant ${value} seconds, write ${groups(value * 1000)}`,
    );
  }
}

/**
 * Called by resolveOptions: the core store's own options, in ms. `known` is the list of option
 * names, kept beside the options' type in options.ts (this file imports no option type, so that
 * the files that define the options can import it).
 */
export function checkStoreOptions(options: { ttl?: unknown; absoluteTimeout?: unknown }, known: readonly string[]): void {
  if (!options || typeof options !== 'object' || builtByFrameworkStore.has(options)) return;
  checkNames(options, known, 'SessionStore');
  checkMilliseconds('ttl', options.ttl, { zeroMeansOff: false });
  checkMilliseconds('absoluteTimeout', options.absoluteTimeout, { zeroMeansOff: true });
}

/**
 * Called by the FrameworkStore constructor: the adapters' options, where `ttl` is in SECONDS
 * (connect-redis's unit) and SessionKit's own durations in ms. `known` are the names the
 * FrameworkStore and the adapter take.
 */
export function checkFrameworkOptions(options: { ttl?: unknown; absoluteTimeout?: unknown; store?: unknown }, known: readonly string[]): void {
  if (!options || typeof options !== 'object') return;
  checkNames(options, known, 'RedisStore');
  const ttl = options.ttl;
  if (typeof ttl === 'number' && Number.isFinite(ttl) && ttl > MAX_ADAPTER_TTL_SECONDS) {
    throw new SessionKitError(
      'ERR_CONFIG',
      `option ttl is in seconds (as in connect-redis): ${ttl} is read as ${describeDuration(ttl * 1000)}, longer than a browser keeps a cookie (400 days)` +
        `; if you meant ${ttl} ms, write ${groups(ttl / 1000)}. For keys that never expire, use disableTTL: true`,
    );
  }
  if (options.store === undefined) checkMilliseconds('absoluteTimeout', options.absoluteTimeout, { zeroMeansOff: true });
}
