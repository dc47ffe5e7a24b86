/**
 * BENCH_FLOOR=1: connect-redis with its save replaced by the floor script
 * (bench/lua/floor-save-time.lua): the Redis work every save that keeps a per-user index and
 * refuses to revive a revoked session, in one round trip and on Redis's clock, must do, on the
 * same client. connect-redis's own JavaScript and reads (GET; on Express also the EXPIRE of
 * express-session's touch), and one EVALSHA of the floor on a save (GETRANGE, TIME,
 * SET ... PXAT, ZADD, PEXPIREAT ... GT). Nothing else of SessionKit's: no merge, no absolute
 * timeout, no cap. A measure of the save, not a store to run: its destroy (DEL, no tombstone)
 * and touch (EXPIRE, the index score left behind) are connect-redis's. Its rows in section 1 show
 * how much of SessionKit's write-path gap to connect-redis is the guarded save itself, and how
 * much is SessionKit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootDir } from '../util.js';

const FLOOR = readFileSync(join(rootDir, 'bench/lua/floor-save-time.lua'), 'utf8');

/** Runs a command on the raw client (ioredis `call`, node-redis `sendCommand`). */
type Send = (args: string[]) => Promise<unknown>;

interface ConnectRedisLike {
  prefix: string;
  serializer: { stringify(value: unknown): string };
  /** connect-redis 8's name for it. */
  _getTTL?(session: unknown): number;
  /** connect-redis 9's. */
  getTTL?(session: unknown): number;
}

/**
 * A subclass of connect-redis's `RedisStore` (8 or 9) whose `set` runs the floor script: the
 * record is connect-redis's JSON, the index `idx:<prefix><userId>` holds the session id scored by
 * its expiry. The TTL is connect-redis's (seconds, from the cookie), sent as ms.
 */
export async function floorStore<S extends new (options: never) => object>(
  RedisStore: S,
  client: unknown,
  send: Send,
  prefix: string,
): Promise<InstanceType<S>> {
  const sha = String(await send(['SCRIPT', 'LOAD', FLOOR]));
  class FloorStore extends (RedisStore as unknown as new (options: object) => ConnectRedisLike) {
    async set(sid: string, session: { userId?: string }, cb?: (error?: unknown) => void): Promise<void> {
      try {
        const key = this.prefix + sid;
        const index = `idx:${this.prefix}${session.userId ?? ''}`;
        const ttl = String((this.getTTL ?? this._getTTL)!.call(this, session) * 1000);
        await send(['EVALSHA', sha, '2', key, index, this.serializer.stringify(session), ttl, '', '', sid]);
        cb?.();
      } catch (error) {
        cb?.(error);
      }
    }
  }
  return new FloorStore({ client, prefix }) as never;
}
