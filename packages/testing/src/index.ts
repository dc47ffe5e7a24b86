export { resolveRedisServer, redisServerVersion, siblingBinary } from './redis-binary.js';
export { RedisServer, startRedisServer, freePort, portAccepts, type RedisServerOptions } from './redis-server.js';
export {
  cookielessComplianceStore,
  listingCalls,
  runStoreCompliance,
  sessionExpiringIn,
  type CookielessEngine,
  type ComplianceStore,
  type ComplianceTarget,
  type TestSession,
} from './compliance.js';
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
export { commandCalls, countCommands, formatCounts } from './commands.js';
export { useCommandFigures } from './command-figures.js';
export { cookieExpiry, CookieJar } from './cookies.js';
export { FetchAgent, HttpClient, listenOn } from './http-client.js';
export { collectUnhandledRejections, nextCallbackWarning } from './unhandled.js';
export { expectOtherDevicesSignedOut } from './other-devices.js';
export { useRedisCluster } from './use-redis-cluster.js';
export { tamperedValueCases, tamperedValueTitle, type StoredCookie, type TamperCase, type TamperExpectation } from './tampering.js';
export {
  defineHostileCookieSuite,
  defineTamperSuite,
  watchLookups,
  type CorruptEvents,
  type HostileCookieSuiteOptions,
  type SecurityApp,
  type SecurityBrowser,
  type StoreLookups,
  type TamperSuiteOptions,
  type WhoAmI,
} from './security-suites.js';
export { cookieValue, dotSignedCookies, dotSignedNearMiss, forgedCookieHeader, hostileCookieValue, hostileSessionId } from './hostile-cookies.js';
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
