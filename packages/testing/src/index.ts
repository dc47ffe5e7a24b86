export { resolveRedisServer, redisServerVersion, siblingBinary } from './redis-binary.js';
export { RedisServer, startRedisServer, freePort, type RedisServerOptions } from './redis-server.js';
export { runStoreCompliance, sessionExpiringIn, type ComplianceStore, type ComplianceTarget, type TestSession } from './compliance.js';
