import { cookielessComplianceStore, runStoreCompliance, useRedis } from '@sessionkit/testing';
import { createSessionKit } from '@sessionkit/next';

/**
 * The shared store compliance suite on @sessionkit/next's engine, called as the kit calls it
 * (src/index.ts): a load with no cookie in the data, a new session written with the TTL, an
 * unchanged save of a live one as a compare-and-slide that never brings a destroyed one back.
 * The suite picks its own ids ('a*', '{tag}x', ...), which the kit's cookies never carry (it
 * only loads 32-character base64url ids that its secret signed, see security.test.ts): here the
 * engine is asked directly, so every case applies and none is skipped.
 */
const redis = useRedis();

runStoreCompliance('@sessionkit/next (as the kit calls its engine), on ioredis', async () => {
  const kit = createSessionKit({ client: redis.client(), secrets: 'compliance secret', touchAfter: 0 });
  // The kit's TTL is an option; the suite gives each session its own, in `cookie.expires` (app data here).
  return { store: cookielessComplianceStore(kit.sessions, { existing: true }) };
});
