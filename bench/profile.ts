/**
 * `npm run bench:profile -- <express|fastify> <store> </read|/write> [seconds] [rate]`: a CPU
 * profile of one app server under a fixed request rate, and its heaviest functions by self time.
 *
 * The app runs as in the benchmark (bench/app-server.ts, its own redis-server) with
 * `node --cpu-prof`; the profile is written to .tmp/profile/ when the app exits, then summarised:
 * self time per function, and per package (node_modules/<name>, @sessionkit/<name>, node: builtins),
 * as a share of the samples and as µs per request. Open the .cpuprofile in Chrome DevTools or
 * speedscope for the call tree.
 *
 * Why a rate and not a saturated run: a saturated server batches its Redis commands and its
 * socket writes, which changes what the profile is made of. The fixed rate matches section 1.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RedisServer } from '@sessionkit/testing';
import { createSessions, startApp, type App } from './http.js';
import { PacedClient } from './paced-load.js';
import { rootDir, runMain } from './util.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The package a script belongs to: what a user would blame (or thank) for the time. */
export function packageOf(url: string): string {
  if (!url) return '(native / VM)';
  if (url.startsWith('node:')) return 'node: builtins';
  const sk = /\/packages\/([^/]+)\//.exec(url);
  if (sk && !url.includes('/node_modules/')) return `@sessionkit/${sk[1]}`;
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return url.includes('/bench/') ? 'bench app' : url;
}

interface FunctionTime {
  name: string;
  where: string;
  pkg: string;
  ms: number;
}

export interface ProfileSummary {
  totalMs: number;
  byFunction: FunctionTime[];
  byPackage: { pkg: string; ms: number }[];
  /** Time with callees included, for SessionKit's own functions: where the store's share goes. */
  sessionkitInclusive: FunctionTime[];
}

/** Self time per function and per package from a V8 .cpuprofile. */
export function summarise(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i]!, (selfUs.get(profile.samples[i]!) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const describe = (id: number): FunctionTime & { key: string } => {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const where = url ? `${url.replace(/^.*\/(node_modules|packages|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    return { key: `${functionName} ${where}`, name: functionName || '(anonymous)', where, pkg: packageOf(url), ms: 0 };
  };
  const add = (into: Map<string, FunctionTime>, id: number, us: number) => {
    const d = describe(id);
    const entry = into.get(d.key) ?? { name: d.name, where: d.where, pkg: d.pkg, ms: 0 };
    entry.ms += us / 1000;
    into.set(d.key, entry);
  };
  const fn = new Map<string, FunctionTime>();
  const inclusive = new Map<string, FunctionTime>();
  const pkg = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    // Idle is the event loop waiting: not CPU the app used.
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    total += us;
    add(fn, id, us);
    const p = packageOf(byId.get(id)!.callFrame.url);
    pkg.set(p, (pkg.get(p) ?? 0) + us / 1000);
    // Each SessionKit function on the stack once (recursion would count a sample twice).
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const d = describe(at);
      if (!d.pkg.startsWith('@sessionkit/') || seen.has(d.key)) continue;
      seen.add(d.key);
      add(inclusive, at, us);
    }
  }
  const sorted = (m: Map<string, FunctionTime>) => [...m.values()].sort((a, b) => b.ms - a.ms);
  return {
    totalMs: total / 1000,
    byFunction: sorted(fn),
    byPackage: [...pkg.entries()].map(([p, ms]) => ({ pkg: p, ms })).sort((a, b) => b.ms - a.ms),
    sessionkitInclusive: sorted(inclusive),
  };
}

async function main(): Promise<void> {
  const [framework = 'express', store = 'sessionkit', path = '/write', secondsArg = '20', rateArg = '500'] = process.argv.slice(2);
  if (framework !== 'express' && framework !== 'fastify') throw new Error(`framework must be express or fastify, not ${framework}`);
  if (path !== '/read' && path !== '/write') throw new Error(`path must be /read or /write, not ${path}`);
  const seconds = Number(secondsArg);
  const rate = Number(rateArg);
  if (!(seconds > 0) || !(rate > 0)) throw new Error('seconds and rate must be positive numbers');
  const dir = join(rootDir, '.tmp', 'profile', `${framework}-${store}-${path.slice(1)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  const server = await new RedisServer().start();
  let app: App | undefined;
  try {
    app = await startApp(framework, store, server.url, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
    await createSessions(app, 200);
    const client = new PacedClient(app.port, app.cookies, 8);
    // Warm the JIT first, so that the profile is the steady state, not compilation.
    await client.run(path, rate, rate * 3);
    const load = await client.run(path, rate, Math.round(rate * seconds));
    client.close();
    await app.stop();
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (!file) throw new Error(`no profile written in ${dir}`);
    const summary = summarise(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile);
    // Every request of the run, warm-up included, is in the profile.
    const requests = rate * 3 + load.ok + 200;
    const perReq = (ms: number) => `${((ms * 1000) / requests).toFixed(1).padStart(6)} µs/req`;
    console.log(`${framework} ${store} ${path}: ${load.ok} requests at ${rate}/s (${load.failures} failures), p50 ${load.p50.toFixed(2)} ms`);
    console.log(`profile ${join(dir, file).slice(rootDir.length + 1)}: ${summary.totalMs.toFixed(0)} ms of samples, ${perReq(summary.totalMs)}\n`);
    console.log('by package (self time)');
    for (const p of summary.byPackage.slice(0, 15)) console.log(`  ${((p.ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%  ${perReq(p.ms)}  ${p.pkg}`);
    console.log('\nby function (self time)');
    for (const f of summary.byFunction.slice(0, 40))
      console.log(`  ${((f.ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%  ${perReq(f.ms)}  ${f.name}  ${f.where}`);
    if (summary.sessionkitInclusive.length) console.log('\n@sessionkit/* functions, callees included');
    for (const f of summary.sessionkitInclusive.slice(0, 30))
      console.log(`  ${((f.ms / summary.totalMs) * 100).toFixed(1).padStart(5)}%  ${perReq(f.ms)}  ${f.name}  ${f.where}`);
  } finally {
    await app?.stop();
    await server.dispose();
  }
}

runMain(main);
