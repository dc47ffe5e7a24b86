export { resolveRedisServer, redisServerVersion, siblingBinary } from './redis-binary.js';
export { RedisServer, startRedisServer, freePort, type RedisServerOptions } from './redis-server.js';
