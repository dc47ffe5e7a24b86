export { resolveRedisServer, redisServerVersion, siblingBinary } from './redis-binary.js';
export { RedisServer, startRedisServer, freePort, portAccepts, type RedisServerOptions } from './redis-server.js';
export { runStoreCompliance, sessionExpiringIn, type ComplianceStore, type ComplianceTarget, type TestSession } from './compliance.js';
export {
  RedisCluster,
  startRedisCluster,
  adminCommand,
  parseClusterNodes,
  parseInfo,
  type RedisClusterOptions,
  type ClusterAddress,
  type ClusterNodeInfo,
  type FailoverResult,
} from './redis-cluster.js';
export { RedisSentinel, SentinelProcess, startRedisSentinel, type RedisSentinelOptions, type SentinelFailoverResult } from './redis-sentinel.js';
export { countCommands, formatCounts } from './commands.js';
export { useCommandFigures } from './command-figures.js';
export { cookieExpiry, CookieJar } from './cookies.js';
export { HttpClient, listenOn } from './http-client.js';
export { collectUnhandledRejections } from './unhandled.js';
export { expectOtherDevicesSignedOut } from './other-devices.js';
export { useRedisCluster } from './use-redis-cluster.js';
export { tamperedValueCases, tamperedValueTitle, type TamperCase, type TamperExpectation } from './tampering.js';
export { cookieValue, hostileCookieValue, hostileSessionId } from './hostile-cookies.js';
export { useRedis, type TestRedis } from './use-redis.js';
export { BunClients, newBunClient, underBun, type BunClient, type BunClientOptions } from './bun.js';
export { makeTlsFiles, tlsServerArgs, type TlsFiles } from './tls.js';
export { useRedisTls } from './use-redis-tls.js';
export { rawRecord, recordData, withRecordData, readRecordData, writeRecordData, sessionHandle, sessionKey, type RawRecord } from './records.js';
export { concurrentSaves, expectEveryChangeKept } from './concurrent-saves.js';
export {
  NodeRedisClients,
  nodeRedisVariants,
  testClients,
  type TestClient,
  type NodeRedisVariant,
  type NodeRedisSingle,
  type NodeRedisCluster,
  type NodeRedisSentinel,
} from './node-redis.js';
export { launchChromium } from './chromium.js';
export { listeningUrl } from './child-url.js';
