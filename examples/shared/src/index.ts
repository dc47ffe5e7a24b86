export {
  connectRedis,
  clientStatus,
  redisClientOptions,
  nodeRedisClientOptions,
  type RedisConnection,
  type ConnectRedisOptions,
  type ClientLibrary,
} from './redis.js';
export {
  closeHttpServer,
  connectRedisOrExit,
  encryptionKeysFromEnv,
  exitOnStartupError,
  listenErrorMessage,
  sessionSecretFromEnv,
  stopOnSignals,
} from './startup.js';
export { describeDevice } from './device.js';
export { users, authenticate, findUser, type DemoUser } from './users.js';
export {
  routes,
  escapeHtml,
  sessionHandle,
  findSessionByHandle,
  deviceMeta,
  signInPage,
  homePage,
  sessionsPage,
  messagePage,
  type DeviceMeta,
  type PageOptions,
} from './views.js';
export { metricsFromEnv, startMetrics, type Metrics } from './metrics.js';
