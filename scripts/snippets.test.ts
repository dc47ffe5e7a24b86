import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { SessionStore } from '@sessionkit/core';
import { freePort, RedisServer } from '@sessionkit/testing';
import { allSnippets, codeOf, importsOf, isJs, isShell, isTs, programKey, root, toJavaScript, typeErrors, where, type Snippet } from './snippets.js';

/*
 * Every code block of README.md, docs/*.md and packages/* /README.md, as printed: TypeScript
 * type-checked (strict, nodenext, against the built packages), JavaScript and blocks marked
 * `run <scenario>` run against a real redis-server and exercised, shell lines checked against
 * the repo and the doc's own imports. Needs `npm run build` first (as exports.test.ts).
 */

const snippets = allSnippets();
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
/** Every package of packages/*, read from its manifest: a new package is known without an edit here. */
const workspacePackages = readdirSync(join(root, 'packages')).flatMap((dir) => {
  try {
    return [JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).name as string];
  } catch {
    return [];
  }
});
/** What a package of packages/* builds or tests with (e.g. Nest, for @sessionkit/nestjs). */
const workspaceDevDependencies = readdirSync(join(root, 'packages')).flatMap((dir) => {
  try {
    return Object.keys(JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).devDependencies ?? {});
  } catch {
    return [];
  }
});
const knownPackages = new Set([
  ...Object.keys(manifest.devDependencies ?? {}),
  ...Object.keys(manifest.dependencies ?? {}),
  ...workspacePackages,
  ...workspaceDevDependencies,
]);

/** The last TypeScript block above `s` in its file that stands on its own (not `after`): what `after` pastes `s` below. */
function contextOf(s: Snippet): Snippet | undefined {
  if (!s.marker.after) return undefined;
  const before = snippets.filter((o) => o.file === s.file && o.line < s.line && isTs(o) && !o.marker.after);
  const context = before.at(-1);
  if (!context) throw new Error(`${where(s)} is marked "after" but no TypeScript block that stands on its own comes before it`);
  return context;
}

describe('documentation snippets: found', () => {
  it('finds the blocks of every document (the list is read, not kept)', () => {
    const files = new Set(snippets.map((s) => s.file));
    for (const file of ['README.md', 'docs/core.md', 'docs/express.md', 'docs/fastify.md', 'packages/core/README.md']) expect(files).toContain(file);
    expect(snippets.filter(isTs).length).toBeGreaterThan(20);
  });

  it('knows what to do with every block: no language means a listing, anything else must be checkable', () => {
    const unknown = snippets.filter((s) => s.lang !== '' && !isTs(s) && !isJs(s) && !isShell(s)).map((s) => `${where(s)} (${s.lang})`);
    expect(unknown).toEqual([]);
    const unexercised = snippets.filter((s) => isJs(s) && !s.marker.run && !s.marker.partial && !s.marker.testedBy).map(where);
    expect(unexercised, 'a JavaScript block is tested by running it: mark it <!-- snippet: run <scenario> -->').toEqual([]);
    const noScenario = snippets.filter((s) => s.marker.run && !(s.marker.run in scenarios)).map((s) => `${where(s)}: ${s.marker.run}`);
    expect(noScenario).toEqual([]);
    const elsewhere = snippets
      .filter((s) => s.marker.testedBy)
      .filter((s) => {
        try {
          return !readFileSync(join(root, s.marker.testedBy!), 'utf8').includes(s.file);
        } catch {
          return true;
        }
      })
      .map((s) => `${where(s)}: ${s.marker.testedBy} does not exist or does not read ${s.file}`);
    expect(elsewhere).toEqual([]);
  });
});

describe('documentation snippets: TypeScript (strict, nodenext)', () => {
  const checked = new Map<string, Map<Snippet, string[]>>();
  /** Checks the snippet's whole program the first time one of its members is asked for. */
  const errorsOf = (s: Snippet): string[] => {
    const key = programKey(s, contextOf(s));
    if (!checked.has(key)) {
      const members = snippets.filter((o) => isTs(o) && programKey(o, contextOf(o)) === key);
      checked.set(key, typeErrors(members.map((snippet) => ({ snippet, context: contextOf(snippet) }))));
    }
    return checked.get(key)!.get(s)!;
  };
  for (const s of snippets.filter(isTs)) {
    const how = s.marker.partial
      ? `partial${s.marker.after ? ', after the block above' : ''}${s.marker.free.length ? `, given ${s.marker.free.join(', ')}` : ''}`
      : 'whole';
    // The first snippet of a program pays for building it (one TypeScript program for every
    // snippet of the same kind): about 10 s alone, over 80 s on a busy 2-core machine.
    it(`${where(s)} type-checks (${how})`, { timeout: 240_000 }, () => {
      expect(errorsOf(s)).toEqual([]);
    });
  }
});

describe('documentation snippets: install and shell lines', () => {
  const shell = snippets.filter(isShell);
  for (const s of shell) {
    it(`${where(s)} names packages and scripts that exist`, () => {
      const problems: string[] = [];
      // Comments (`# or globally: npm install -g ...`) are prose, and a line may chain commands.
      for (const line of s.code.split('\n').flatMap((l) => l.replace(/(^|\s)#.*$/, '').split(/&&|;/))) {
        const install = /^npm (?:install|i)\s+(.*)$/.exec(line.trim());
        if (install) {
          for (const word of install[1]!.split(/\s+/)) {
            if (!word || word.startsWith('-') || word === '&&') continue;
            // A tarball or a directory (`../sessionkit-core-0.1.0.tgz`) is the reader's own file, not a package name.
            if (word.startsWith('.') || word.startsWith('/')) continue;
            if (!knownPackages.has(word)) problems.push(`npm install ${word}: not a package this repo builds or tests with`);
          }
        }
        for (const run of line.matchAll(/npm run ([\w:-]+)/g)) if (!manifest.scripts?.[run[1]!]) problems.push(`npm run ${run[1]}: no such script`);
      }
      expect(problems).toEqual([]);
    });
  }

  const files = [...new Set(snippets.map((s) => s.file))];
  for (const file of files) {
    const installed = shell
      .filter((s) => s.file === file)
      .flatMap((s) => [...s.code.matchAll(/^npm (?:install|i)\s+([^&;#]*)/gm)].flatMap((m) => m[1]!.split(/\s+/)))
      .filter((w) => w && !w.startsWith('-'));
    if (installed.length === 0) continue;
    it(`${file}: its install line covers every package its snippets import`, () => {
      const imported = snippets.filter((s) => s.file === file && (isTs(s) || isJs(s))).flatMap((s) => importsOf(codeOf(s)));
      expect([...new Set(imported)].filter((name) => !installed.includes(name))).toEqual([]);
    });
  }
});

/**
 * The call's argument text: from the parenthesis that opens at `open` to the one that closes it
 * (strings and comments are not told apart; the doc's client calls have no parentheses in strings).
 */
function argumentsAt(code: string, open: number): string {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === '(') depth++;
    else if (code[i] === ')' && --depth === 0) return code.slice(open + 1, i);
  }
  return code.slice(open + 1);
}

describe('documentation snippets: every Redis client a reader copies bounds its commands', () => {
  // A request waits as long as its store's Redis command does, and a Redis that accepts
  // connections but does not answer (paused, overloaded) never answers: without a command timeout
  // on the client, the request hangs (docs/reliability.md, "The rule"). So each client a block
  // creates carries one: ioredis's `commandTimeout` (a Cluster's in `redisOptions`), node-redis's
  // `commandOptions: { timeout }` (which covers less: see reliability.md's node-redis section).
  const ioredis = /\bnew (?:Redis|Cluster|Valkey)\s*\(/g;
  const nodeRedis = /\bcreate(?:Client|Cluster|Sentinel)\s*\(/g;
  const code = snippets.filter((s) => isTs(s) || isJs(s));

  it('finds the clients of the quick starts and of the client-settings sections', () => {
    const creates = (s: Snippet) => new RegExp(ioredis.source).test(codeOf(s)) || new RegExp(nodeRedis.source).test(codeOf(s));
    const creating = new Set(code.filter(creates).map((s) => s.file));
    for (const file of [
      'README.md',
      'docs/core.md',
      'docs/express.md',
      'docs/reliability.md',
      'docs/migrate-from-connect-redis.md',
      'packages/express/README.md',
    ]) {
      expect(creating).toContain(file);
    }
  });

  it('each `new Redis(` / `new Cluster(` has a commandTimeout, each `createClient(` a commandOptions timeout', () => {
    const unbounded: string[] = [];
    for (const s of code) {
      const text = codeOf(s);
      const lineOf = (index: number) => `${s.file}:${s.line + text.slice(0, index).split('\n').length - 1}`;
      for (const m of text.matchAll(ioredis)) {
        if (!/\bcommandTimeout\s*:/.test(argumentsAt(text, m.index + m[0].length - 1)))
          unbounded.push(`${lineOf(m.index)}: ${m[0]}...) without commandTimeout`);
      }
      for (const m of text.matchAll(nodeRedis)) {
        if (!/\bcommandOptions\s*:\s*\{[^}]*\btimeout\s*:/.test(argumentsAt(text, m.index + m[0].length - 1))) {
          unbounded.push(`${lineOf(m.index)}: ${m[0]}...) without commandOptions: { timeout }`);
        }
      }
    }
    expect(unbounded).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Running blocks. Files go under .tmp/ inside the repo, so that '@sessionkit/*' and every other
// import resolve to the workspace's node_modules (the built packages), as in an app.

const runDir = join(root, '.tmp', 'snippets-run');

interface Running {
  child: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<number | null>;
}

/**
 * What the test puts in place of the names a block leaves to the reader (`free: ...`), so that
 * the block itself runs unchanged.
 */
const standIns: Record<string, string> = {
  checkPassword: "const checkPassword = (username, password) => (password === 'right' ? { id: username } : undefined);",
};

/**
 * Starts a block as a program; `express4` makes `import 'express'` find Express 4. `env` is added
 * to the test's environment, with a SESSION_SECRET unless it says `SESSION_SECRET: undefined`.
 */
async function start(s: Snippet, env: Record<string, string | undefined>, { express4 = false } = {}): Promise<Running> {
  const dir = join(runDir, express4 ? 'express4' : 'default');
  mkdirSync(dir, { recursive: true });
  if (express4) {
    mkdirSync(join(dir, 'node_modules'), { recursive: true });
    rmSync(join(dir, 'node_modules', 'express'), { recursive: true, force: true });
    symlinkSync(join(root, 'node_modules', 'express4'), join(dir, 'node_modules', 'express'), 'dir');
  }
  // TypeScript goes through the compiler's transpiler (in process, fast), not a loader: the
  // types were checked above, and what runs is the block's own code.
  const file = join(dir, `${s.file.replace(/[/.]/g, '_')}_${s.line}.mjs`);
  const given = s.marker.free.map((name) => {
    if (!standIns[name]) throw new Error(`${where(s)} runs but leaves ${name} to the reader: add a stand-in for it in snippets.test.ts`);
    return standIns[name];
  });
  // On the block's first line, so that line numbers in a stack trace still match the document.
  writeFileSync(file, given.join(' ') + (isTs(s) ? toJavaScript(codeOf(s)) : codeOf(s)));
  const port = await freePort();
  const childEnv: Record<string, string | undefined> = { ...process.env, PORT: String(port), SESSION_SECRET: 'snippet-test-secret-of-32-characters!', ...env };
  for (const [name, value] of Object.entries(childEnv)) if (value === undefined) delete childEnv[name];
  const child = spawn(process.execPath, [file], {
    cwd: root,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, port, output: () => output, exited };
}

async function listening(app: Running): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (app.child.exitCode !== null) break;
    if (
      await fetch(`http://127.0.0.1:${app.port}/`).then(
        () => true,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the snippet did not start listening:\n${app.output()}`);
}

const stopApp = async (app: Running) => {
  if (app.child.exitCode === null) app.child.kill();
  await app.exited;
};

const cookieOf = (res: Response) => res.headers.get('set-cookie')?.split(';')[0];

/**
 * What each `run <scenario>` does with its block. A scenario asserts what a user of the snippet
 * would see; it gets a fresh redis-server.
 */
const scenarios: Record<string, (s: Snippet, redis: RedisServer) => Promise<void>> = {
  /** The README's Express quick start, on Express 5 and on Express 4. */
  'express-quick-start': async (s, redis) => {
    // Pasted and run without SESSION_SECRET, it stops at once and says what to set, instead of
    // answering 500 to every request (express-session: "secret option required for sessions").
    const unset = await start(s, { REDIS_URL: redis.url, SESSION_SECRET: undefined });
    try {
      let answered: number | undefined;
      for (let i = 0; i < 150 && unset.child.exitCode === null && answered === undefined; i++) {
        answered = await fetch(`http://127.0.0.1:${unset.port}/`).then(
          (r) => r.status,
          () => undefined,
        );
        if (answered === undefined) await new Promise((r) => setTimeout(r, 100));
      }
      expect(answered, `started without SESSION_SECRET and answered ${answered}:\n${unset.output()}`).toBeUndefined();
      expect(await unset.exited).not.toBe(0);
      expect(unset.output()).toMatch(/Set SESSION_SECRET to a long random string/);
    } finally {
      await stopApp(unset);
    }

    for (const express4 of [false, true]) {
      const app = await start(s, { REDIS_URL: redis.url }, { express4 });
      try {
        await listening(app);
        const url = `http://127.0.0.1:${app.port}`;
        const login = async () => {
          const res = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual' });
          expect(res.status).toBe(302);
          await res.arrayBuffer(); // its end comes after express-session's save
          return cookieOf(res)!;
        };
        const home = (cookie?: string) => fetch(`${url}/`, { headers: cookie ? { cookie } : {} }).then((r) => r.text());
        const laptop = await login();
        const phone = await login();
        expect(await home(laptop)).toBe('Hello alice');
        expect(await home(phone)).toBe('Hello alice');
        // Signed out: a clear 401, not an unhandled rejection (which ends an Express 4 process).
        const anonymous = await fetch(`${url}/password`, { method: 'POST' });
        expect(anonymous.status).toBe(401);
        const res = await fetch(`${url}/password`, { method: 'POST', headers: { cookie: laptop } });
        expect(await res.json()).toEqual({ signedOut: 1 });
        expect(await home(laptop)).toBe('Hello alice');
        expect(await home(phone)).toBe('Please sign in');
        // Redis away: express-session hands over no session; the snippet answers 503, and the
        // client's errors are handled (no "[ioredis] Unhandled error event").
        await redis.stop();
        let status = 0;
        for (let i = 0; i < 50 && status !== 503; i++) {
          status = await fetch(`${url}/`, { headers: { cookie: laptop } }).then(
            (r) => r.status,
            () => 0,
          );
          if (status !== 503) await new Promise((r) => setTimeout(r, 100));
        }
        expect(status).toBe(503);
        await redis.start();

        // Redis paused (accepts connections, never answers): a signed-in request gets an error
        // response (the client's commandTimeout, then Express's error handler), not a hang. The
        // abort only turns a hang into a failure; nothing here measures time.
        let cookie: string | undefined;
        for (let i = 0; i < 150 && !cookie; i++) {
          const res = await fetch(`${url}/login`, { method: 'POST', redirect: 'manual' }); // 503 until the client has reconnected
          // The body's end: express-session sends the headers before its save, the last byte after.
          await res.arrayBuffer();
          if (res.status === 302) cookie = cookieOf(res);
          else await new Promise((r) => setTimeout(r, 100));
        }
        expect(cookie, app.output()).toBeTruthy();
        expect(await home(cookie)).toBe('Hello alice'); // saved before the pause
        redis.pause();
        try {
          // `connection: close`: the server may close this connection after the error, and a
          // later request must not pick it up from the pool.
          const res = await fetch(`${url}/`, { headers: { cookie: cookie!, connection: 'close' }, signal: AbortSignal.timeout(20_000) }).catch(
            (error: Error) => error,
          );
          expect(res instanceof Response ? res.status : `no answer: ${res.message}`).toBe(500);
        } finally {
          redis.resume();
        }
        // Once more on a network error: a pooled connection may have been closed by the server
        // while idle during the pause (keep-alive timeout), which says nothing about the app.
        const after = await home(cookie).catch(() => home(cookie));
        expect(after, app.output()).toBe('Hello alice'); // and the session is intact
        // The next round (Express 4) counts alice's sessions from none.
        const admin = new Redis(redis.url);
        await admin.flushall().finally(() => admin.quit());
        expect(app.child.exitCode, app.output()).toBeNull();
        expect(app.output()).not.toMatch(/Unhandled error event|UnhandledPromiseRejection|TypeError/);
      } finally {
        await stopApp(app);
      }
    }
  },

  /**
   * A quick start's sign-in over plain HTTP, from an HTML form: the form body is parsed, the
   * cookie comes back without `Secure` (secure: 'auto'), and the session is in its user's index.
   */
  'sign-in': async (s, redis) => {
    const app = await start(s, { REDIS_URL: redis.url });
    const user = `ann-${s.file.replace(/\W/g, '-')}`;
    const client = new Redis(redis.url);
    const sessions = new SessionStore({ client });
    try {
      await listening(app);
      const post = (password: string) =>
        fetch(`http://127.0.0.1:${app.port}/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ username: user, password }).toString(),
          redirect: 'manual',
        });
      expect((await post('wrong')).status, app.output()).toBe(401);
      const res = await post('right');
      expect([302, 303], app.output()).toContain(res.status);
      const cookie = res.headers.get('set-cookie');
      expect(cookie, 'no cookie over plain HTTP').toBeTruthy();
      expect(cookie).not.toMatch(/;\s*Secure/i);
      expect(await sessions.countUserSessions(user)).toBe(1);
      expect(app.output()).not.toMatch(/Unhandled error event|UnhandledPromiseRejection/);
    } finally {
      await stopApp(app);
      await client.quit();
    }
  },

  /** A script: it must do its work and end by itself (the client closed), with nothing on stderr. */
  script: async (s, redis) => {
    const app = await start(s, { REDIS_URL: redis.url });
    const timer = setTimeout(() => app.child.kill(), 20_000);
    const code = await app.exited;
    clearTimeout(timer);
    expect(app.child.signalCode, `did not exit by itself:\n${app.output()}`).toBeNull();
    expect(code, app.output()).toBe(0);
  },
};

describe('documentation snippets: run against a real Redis', () => {
  const redis = new RedisServer();
  beforeAll(async () => {
    await redis.start();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  for (const s of snippets.filter((o) => o.marker.run)) {
    it(`${where(s)} runs (${s.marker.run})`, async () => {
      // One server for all the blocks: each starts on an empty one, or a second block of the same
      // scenario would find the first one's sessions (the README's and the Express package's).
      const admin = new Redis(redis.url);
      try {
        await admin.flushall();
      } finally {
        await admin.quit();
      }
      await scenarios[s.marker.run!]!(s, redis);
    }, 60_000);
  }
});
