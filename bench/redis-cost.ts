/**
 * Comparison 3b: Redis memory per session, index included. For each store: FLUSHALL, note
 * INFO used_memory, write N sessions shaped like the HTTP apps' (1 day TTL), note used_memory
 * again; (after - before) / N. Also MEMORY USAGE of one session key and one index key.
 * (Commands and round trips per request come from the HTTP sections' INFO commandstats.)
 */
import type { Redis } from 'ioredis';
import type { BenchConfig } from './config.js';
import { loginSession, sessionId } from './session-data.js';
import { openStore, type StoreId } from './stores.js';
import { closedLoop, info } from './util.js';

export interface MemoryRow {
  /** cr9, cr8, sk1, sk10: the names the targets table uses (memory.sk1.bytes). */
  id: string;
  label: string;
  sessions: number;
  users: number;
  bytesPerSession: number;
  /** MEMORY USAGE (SAMPLES 0) of one session key and, for SessionKit, of one user's index. */
  sessionKeyBytes: number;
  indexKeyBytes?: number;
  /** OBJECT ENCODING of a session key. */
  encoding: string;
  note?: string;
}

interface Scenario {
  id: string;
  store: StoreId;
  label: string;
  sessionsPerUser: number;
  note?: string;
}

const SCENARIOS: Scenario[] = [
  { id: 'cr9', store: 'connect-redis9', label: 'connect-redis 9 (node-redis)', sessionsPerUser: 1 },
  { id: 'cr8', store: 'connect-redis8', label: 'connect-redis 8 (ioredis)', sessionsPerUser: 1 },
  { id: 'sk1', store: 'sessionkit', label: '@sessionkit, 1 session per user', sessionsPerUser: 1, note: 'one index key per session: the worst case' },
  { id: 'sk10', store: 'sessionkit', label: '@sessionkit, 10 sessions per user', sessionsPerUser: 10 },
];

export async function benchMemory(redisUrl: string, admin: Redis, config: BenchConfig, log: (line: string) => void): Promise<MemoryRow[]> {
  const rows: MemoryRow[] = [];
  const n = config.memorySessions;
  for (const scenario of SCENARIOS) {
    const store = await openStore(scenario.store, redisUrl);
    try {
      // Warm up (loads the Lua scripts, which FLUSHALL keeps), then start from an empty keyspace.
      await store.set(sessionId(), loginSession('warm'));
      await admin.flushall();
      const before = Number((await info(admin, 'memory')).used_memory);
      const ids = Array.from({ length: n }, () => sessionId());
      let firstUser = '';
      await closedLoop(64, 600_000, n, async (i) => {
        const user = Math.floor(i / scenario.sessionsPerUser);
        const session = loginSession(user);
        if (i === 0) firstUser = String(session.userId);
        await store.set(ids[i]!, session);
      });
      const after = Number((await info(admin, 'memory')).used_memory);
      const sessionKey = store.prefix + ids[0]!;
      const sessionKeyBytes = Number(await admin.memory('USAGE', sessionKey, 'SAMPLES', 0));
      const encoding = String(await admin.object('ENCODING', sessionKey));
      let indexKeyBytes: number | undefined;
      if (scenario.store === 'sessionkit') {
        // The default index layout: 'idx:' + prefix + '{' + user id (these ids need no encoding) + '}'.
        const indexKey = `idx:${store.prefix}{${firstUser}}`;
        if (await admin.exists(indexKey)) indexKeyBytes = Number(await admin.memory('USAGE', indexKey, 'SAMPLES', 0));
      }
      const row: MemoryRow = {
        id: scenario.id,
        label: scenario.label,
        sessions: n,
        users: Math.ceil(n / scenario.sessionsPerUser),
        bytesPerSession: (after - before) / n,
        sessionKeyBytes,
        indexKeyBytes,
        encoding,
        note: scenario.note,
      };
      rows.push(row);
      log(
        `  ${row.label.padEnd(56)} ${row.bytesPerSession.toFixed(0).padStart(5)} B/session  ` +
          `(session key ${sessionKeyBytes} B ${encoding}${indexKeyBytes ? `, index key ${indexKeyBytes} B` : ''})`,
      );
    } finally {
      await store.close();
      await admin.flushall();
    }
  }
  return rows;
}
