/**
 * `npm run bench:store-paced`: what a write request's store work (load, change, save) costs at a
 * fixed rate, on a real ioredis client and a real redis-server, without HTTP: the CPU of this
 * process per request (user + system, every thread: GC helpers and the kernel's socket work
 * included) and Redis's main thread per request (INFO cpu). Rows, in the same rounds, alternated:
 * SessionKit's FrameworkStore as the adapters drive it; connect-redis 8 saving through the floor
 * script (bench/apps/floor-store.ts: its GET, JSON and one EVALSHA of the least guarded save);
 * with STORE_PACED_BASELINE=<a built checkout of this repository> that checkout's FrameworkStore too.
 *
 * Why: section 1 measures the same thing behind a framework, where the framework's own CPU (two to
 * four times the store's) and its noise hide a change to the store; and bench:store-js takes the
 * client and the socket out, and runs hot, where allocation that outlives a request (promoted, then
 * collected by the major GC on other threads) barely shows. Settings: STORE_PACED_RATE (requests/s,
 * default 1000), STORE_PACED_SECONDS (per round, 3), STORE_PACED_ROUNDS (7).
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { RedisServer } from '@sessionkit/testing';
import { floorStore } from './apps/floor-store.js';
import { loginSession, type SessionBag } from './session-data.js';
import { median, redisCpu, runMain, sleep } from './util.js';

const RATE = Number(process.env.STORE_PACED_RATE ?? 1000);
const SECONDS = Number(process.env.STORE_PACED_SECONDS ?? 3);
const ROUNDS = Number(process.env.STORE_PACED_ROUNDS ?? 7);
const SESSIONS = 200;

interface Store {
  get(sid: string): Promise<unknown>;
  set(sid: string, session: SessionBag): Promise<unknown>;
}

/** A FrameworkStore from `@sessionkit/core/toolkit` as the running build resolves it, or from a checkout's dist. */
async function frameworkStore(url: string, prefix: string, checkout?: string): Promise<Store> {
  const entry = checkout ? pathToFileURL(resolve(checkout, 'packages/core/dist/toolkit.js')).href : '@sessionkit/core/toolkit';
  const { FrameworkStore } = (await import(entry)) as typeof import('@sessionkit/core/toolkit');
  return new FrameworkStore({ client: new Redis(url), prefix }) as unknown as Store;
}

/** One write request: the load, a change, the save, as express-session drives a store. */
async function writeRequest(store: Store, sid: string): Promise<void> {
  const session = (await store.get(sid)) as SessionBag;
  session.counter = (session.counter ?? 0) + 1;
  await store.set(sid, session);
}

/** `total` write requests at RATE, open loop; resolves when every one has finished. */
function paced(store: Store, ids: string[], total: number): Promise<void> {
  return new Promise((done, fail) => {
    const started = performance.now();
    let sent = 0;
    let finished = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - started) * RATE) / 1000) + 1);
      for (; sent < due; sent++) {
        writeRequest(store, ids[sent % ids.length]!).then(() => {
          if (++finished === total) done();
        }, fail);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

runMain(async () => {
  const server = await new RedisServer().start();
  const admin = new Redis(server.url);
  try {
    const floorClient = new Redis(server.url);
    const send = (args: string[]) => floorClient.call(args[0]!, ...args.slice(1));
    const stores: Record<string, Store> = {
      '@sessionkit/core FrameworkStore': await frameworkStore(server.url, 'sk:'),
      'connect-redis 8 + the floor save script': (await floorStore((await import('connect-redis')).RedisStore, floorClient, send, 'fl:')) as unknown as Store,
    };
    const baseline = process.env.STORE_PACED_BASELINE;
    if (baseline) stores['FrameworkStore, baseline checkout'] = await frameworkStore(server.url, 'skb:', baseline);
    const ids = Array.from({ length: SESSIONS }, (_, i) => `paced-${i}-${'x'.repeat(24)}`);
    for (const store of Object.values(stores)) {
      for (const [i, id] of ids.entries()) {
        // The session express-session would save at a login (its cookie included).
        const session = loginSession(i);
        session.cookie = { originalMaxAge: 86_400_000, expires: new Date(Date.now() + 86_400_000).toISOString(), httpOnly: true, path: '/' };
        await store.set(id, session);
      }
    }
    const names = Object.keys(stores);
    const app: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    const redis: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    const total = RATE * SECONDS;
    // A first round of each, not counted: the code paths compiled, the scripts loaded.
    for (let round = -1; round < ROUNDS; round++) {
      for (let i = 0; i < names.length; i++) {
        const name = names[(i + Math.max(round, 0)) % names.length]!;
        const redis0 = await redisCpu(admin, true);
        const cpu0 = process.cpuUsage();
        await paced(stores[name]!, ids, total);
        const cpu = process.cpuUsage(cpu0);
        const redisUs = ((await redisCpu(admin, true)) - redis0) * 1e6;
        if (round >= 0) {
          app[name]!.push((cpu.user + cpu.system) / total);
          redis[name]!.push(redisUs / total);
        }
        await sleep(200);
      }
    }
    console.log(
      `${RATE} write requests/s, ${SECONDS} s per round, ${ROUNDS} rounds, medians; Redis ${(await admin.info('server')).match(/redis_version:(\S+)/)?.[1]}, Node ${process.version}\n`,
    );
    console.log('| store | this process, µs per request | Redis, µs per request | sum | each round (this process) |\n| --- | ---: | ---: | ---: | --- |');
    for (const name of names) {
      const a = median(app[name]!);
      const r = median(redis[name]!);
      console.log(`| ${name} | ${a.toFixed(1)} | ${r.toFixed(1)} | ${(a + r).toFixed(1)} | ${app[name]!.map((x) => x.toFixed(0)).join(' / ')} |`);
    }
  } finally {
    admin.disconnect();
    await server.dispose();
  }
});
