/** What bench/apps/next.ts hands the app on globalThis: which store this process runs, its Redis client, key prefix and secret. */
export interface BenchSettings {
  store: 'iron-session' | 'sessionkit';
  client?: unknown;
  prefix: string;
  secret: string;
}

export const SETTINGS = Symbol.for('sessionkit.bench.next');
