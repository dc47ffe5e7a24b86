// koa-redis ships no types: the part of its API the bench uses (its methods are generators
// wrapped to return promises).
declare module 'koa-redis' {
  interface KoaRedisStore {
    get(sid: string): Promise<unknown>;
    set(sid: string, sess: unknown, ttl?: number): Promise<void>;
    destroy(sid: string): Promise<void>;
    quit(): Promise<void>;
  }
  export default function redisStore(options?: Record<string, unknown>): KoaRedisStore;
}
