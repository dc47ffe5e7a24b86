export { resolveRedisServer, redisServerVersion, siblingBinary } from './redis-binary.js';
export { RedisServer, startRedisServer, freePort, type RedisServerOptions } from './redis-server.js';
export { runStoreCompliance, sessionExpiringIn, type ComplianceStore, type ComplianceTarget, type TestSession } from './compliance.js';
export { RedisCluster, startRedisCluster, adminCommand, parseClusterNodes, type RedisClusterOptions, type ClusterAddress, type ClusterNodeInfo, type FailoverResult } from './redis-cluster.js';
export { RedisSentinel, SentinelProcess, startRedisSentinel, type RedisSentinelOptions, type SentinelFailoverResult } from './redis-sentinel.js';
export { cookieExpiry } from './cookies.js';
export { useRedisCluster } from './use-redis-cluster.js';
export { tamperedValueCases, tamperedValueTitle, type TamperCase, type TamperExpectation } from './tampering.js';
export { cookieValue, hostileCookieValue, hostileSessionId } from './hostile-cookies.js';
