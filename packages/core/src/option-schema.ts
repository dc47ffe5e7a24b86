import { SessionKitError } from './errors.js';

/*
 * The options of every layer (the core store, the framework layer, an adapter) are declared as
 * schemas of entries (name, unit, default, check) and resolved here, in one place: misspelt
 * names, connect-redis options that mean nothing here, durations in the wrong unit, then each
 * entry's own check. A mistake that cannot be meant throws ERR_CONFIG; one that could be meant,
 * or that a migration from connect-redis carries along, is a process warning (it must not break
 * a deploy that worked with connect-redis). The schemas live beside the options' types
 * (options.ts, framework-store.ts, the adapters); this file imports none of them.
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

/** Which layer takes an option: the core store, the framework layer, or the adapter named. */
export type OptionLayer = 'store' | 'framework' | (string & {});

/** One option, declared. */
export interface OptionSpec {
  name: string;
  layer: OptionLayer;
  /**
   * 'ms' and 's' are durations. With `lifetime`, the value is how long a session lives and its
   * unit is checked: in ms, under a second throws and under a minute warns (seconds written as
   * ms); in seconds, past a browser's 400-day cookie cap throws (ms written as seconds).
   */
  unit?: 'ms' | 's' | 'bytes' | 'count';
  /** A session lifetime (see `unit`); 'zero-off': 0 turns it off and is not checked. */
  lifetime?: 'required' | 'zero-off';
  /** The value when the option is not given, undefined or null (as `??`). */
  default?: unknown;
  /** A default that depends on options resolved before it (the schema's order). */
  defaultFrom?: (resolved: Readonly<Record<string, unknown>>) => unknown;
  /** Throws ERR_CONFIG for a value this option cannot take; returns the value to use. Default: as given. */
  check?: (value: unknown, context: { name: string; given: unknown; resolved: Readonly<Record<string, unknown>> }) => unknown;
}

/** Entries of one layer, declared by name: `satisfies Record<keyof Options, ...>` keeps them in step with the options' type. */
export function optionSchema(layer: OptionLayer, entries: Record<string, Omit<OptionSpec, 'name' | 'layer'>>): OptionSpec[] {
  return Object.entries(entries).map(([name, entry]) => ({ name, layer, ...entry }));
}

/** A whole number, at least 0 (or 1 with `positive`), floored: the counts and durations of the options. */
export function wholeNumber({ positive = false } = {}): NonNullable<OptionSpec['check']> {
  return (value, { name, given }) => {
    // Numbers take no null: it is a mistake, not "the default".
    if (given === null) value = given;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
      throw new SessionKitError('ERR_CONFIG', `option ${name} must be a ${positive ? 'positive' : 'non-negative'} number, got ${String(value)}`);
    }
    return Math.floor(value);
  };
}

/**
 * Resolves `options` against `schema`: warns about names no entry and no entry of `alsoKnown`
 * has (`where` says which constructor), checks the units of the entries in `layers` (all by
 * default), then runs their checks in the schema's order. Returns the resolved values of those
 * entries; entries of other layers only count as known names.
 */
export function resolveSchema(
  schema: readonly OptionSpec[],
  options: Readonly<Record<string, unknown>>,
  where: string,
  { layers }: { layers?: readonly OptionLayer[] } = {},
): Record<string, unknown> {
  const known = schema.map((entry) => entry.name);
  checkNames(options, known, where);
  const active = layers ? schema.filter((entry) => layers.includes(entry.layer)) : schema;
  for (const entry of active) checkUnit(entry, options[entry.name]);
  const resolved: Record<string, unknown> = {};
  for (const entry of active) {
    const given = options[entry.name];
    const value = given ?? (entry.defaultFrom ? entry.defaultFrom(resolved) : entry.default);
    resolved[entry.name] = entry.check ? entry.check(value, { name: entry.name, given, resolved }) : value;
  }
  return resolved;
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

/** A session lifetime in the wrong unit: the type checks come after, so only a number in range is looked at. */
function checkUnit(entry: OptionSpec, value: unknown): void {
  if (!entry.lifetime || typeof value !== 'number' || !Number.isFinite(value) || value < 0) return;
  const { name } = entry;
  if (entry.unit === 's') {
    if (value > MAX_ADAPTER_TTL_SECONDS) {
      throw new SessionKitError(
        'ERR_CONFIG',
        `option ${name} is in seconds (as in connect-redis): ${value} is read as ${describeDuration(value * 1000)}, longer than a browser keeps a cookie (400 days)` +
          `; if you meant ${value} ms, write ${groups(value / 1000)}. For keys that never expire, use disableTTL: true`,
      );
    }
    return;
  }
  if (entry.unit !== 'ms' || (entry.lifetime === 'zero-off' && value === 0)) return;
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
