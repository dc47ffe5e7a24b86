/**
 * Bun's built-in Redis client for tests that run under the Bun runtime (`npm run test:bun`,
 * scripts/test-bun.mjs). Reached through the `Bun` global rather than `import 'bun'`, so this
 * package still loads on Node, where `underBun` is false and nothing here is called.
 */

/** True when the tests run on Bun: the per-operation core files then run on Bun's client. */
export const underBun = typeof process.versions.bun === 'string';

/** What the tests use of Bun's `RedisClient` (written out: no Bun types are installed). */
export interface BunClient {
  readonly connected: boolean;
  connect(): Promise<void>;
  send(command: string, args: string[]): Promise<unknown>;
  // biome-ignore lint/suspicious/noExplicitAny: Bun's handler properties, set by the app and by the store
  onconnect: ((this: any, ...args: any[]) => void) | null | undefined;
  // biome-ignore lint/suspicious/noExplicitAny: Bun's handler properties, set by the app and by the store
  onclose: ((this: any, ...args: any[]) => void) | null | undefined;
  close(): void;
}

/** Bun's RedisClient options used here (`tls` as Bun's `TLSOptions`: `{ ca }`). */
export interface BunClientOptions {
  tls?: boolean | { ca?: string | Buffer; rejectUnauthorized?: boolean };
  autoReconnect?: boolean;
  maxRetries?: number;
  connectionTimeout?: number;
  enableAutoPipelining?: boolean;
}

type BunClientClass = new (url: string, options?: BunClientOptions) => BunClient;

/** A new Bun RedisClient on `url` (not connected: Bun connects on `connect()` or the first command). */
export function newBunClient(url: string, options: BunClientOptions = {}): BunClient {
  const RedisClient = (globalThis as { Bun?: { RedisClient?: BunClientClass } }).Bun?.RedisClient;
  if (!RedisClient) throw new Error("newBunClient: Bun's RedisClient is only there when the tests run on Bun (npm run test:bun)");
  return new RedisClient(url, options);
}

/** Closes what it made; call `closeAll` in `afterAll`. */
export class BunClients {
  private readonly made: BunClient[] = [];

  /** A connected Bun RedisClient on `url`. */
  async client(url: string, options: BunClientOptions = {}): Promise<BunClient> {
    const client = newBunClient(url, options);
    this.made.push(client);
    await client.connect();
    return client;
  }

  closeAll(): void {
    for (const client of this.made.splice(0)) client.close();
  }
}
