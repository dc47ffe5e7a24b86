import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import express from 'express';
import session, { type Store } from 'express-session';
import type { Cluster, Redis } from 'ioredis';
import { CookieJar, listenOn } from '@sessionkit/testing';
import { RedisStore } from '@sessionkit/express';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    userAgent?: string;
  }
}

/** The built CLI, run as `npx sessionkit` runs it: `node dist/bin.js` in a child process. */
export const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** The environment of a run: this process's, minus anything that would point the CLI elsewhere. */
function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(base)) {
    if (/^REDIS_|^NO_COLOR$|^FORCE_COLOR$|^SESSIONKIT_/.test(name)) delete base[name];
  }
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete base[name];
    else base[name] = value;
  }
  return base;
}

export function spawnSessionkit(args: string[], env: Record<string, string | undefined> = {}): ChildProcess & { done: Promise<Run> } {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`npm run build\` (or \`npm run build -w @sessionkit/cli\`) first`);
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<Run>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return Object.assign(child, { done });
}

export function sessionkit(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return spawnSessionkit(args, env).done;
}

/** Runs with --json and parses stdout, which must hold exactly one JSON document. */
// biome-ignore lint/suspicious/noExplicitAny: the command's JSON output; each test asserts the shape it reads.
export async function sessionkitJson<T = any>(args: string[], env: Record<string, string | undefined> = {}): Promise<Run & { json: T }> {
  // Before a `--` (after it every word is a session id), else at the end.
  const end = args.includes('--') ? args.indexOf('--') : args.length;
  const run = await sessionkit([...args.slice(0, end), '--json', ...args.slice(end)], env);
  let json: T;
  try {
    json = JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${run.code}):\n${run.stdout}\nstderr:\n${run.stderr}`);
  }
  return { ...run, json };
}

/** No stack frames ("    at fn (file:line)") in what a person reads. */
export function expectNoStack(text: string): void {
  if (/^\s+at .+[:(]\d+/m.test(text)) throw new Error(`output has a stack trace:\n${text}`);
}

export function redisUrl(client: Redis): string {
  return `redis://${client.options.host}:${client.options.port}`;
}

export function clusterNodes(cluster: Cluster): string {
  return cluster
    .nodes('master')
    .map((node) => `${node.options.host}:${node.options.port}`)
    .join(',');
}

export interface App {
  url: string;
  store: RedisStore;
  close(): Promise<void>;
}

/**
 * A small express-session app on @sessionkit/express, the way an app signs users in: a POST
 * that regenerates the session and stores `userId`, with the user agent kept as device meta.
 */
export async function expressApp(client: Redis | Cluster, prefix = 'sess:'): Promise<App> {
  const store = new RedisStore({
    client,
    prefix,
    meta: (s: { userAgent?: string }) => (s.userAgent ? { userAgent: s.userAgent } : undefined),
  });
  const app = express();
  app.use(session({ store: store as unknown as Store, secret: 'cli test secret', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post('/login/:user', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userId = req.params.user;
      req.session.userAgent = req.get('user-agent') ?? '';
      req.session.save((err2) => (err2 ? next(err2) : res.json({ sid: req.sessionID })));
    });
  });
  app.post('/visit', (req, res) => {
    (req.session as unknown as { visits?: number }).visits = 1;
    res.json({ sid: req.sessionID });
  });
  app.get('/me', (req, res) => {
    res.json({ userId: req.session.userId ?? null });
  });
  const { url, close } = await listenOn(createServer(app));
  return { url, store, close };
}

/** One browser: a cookie jar and a user agent. */
export class Browser {
  readonly cookies = new CookieJar();
  sid?: string;

  constructor(
    private readonly base: string,
    readonly userAgent: string,
  ) {}

  async post(path: string): Promise<{ sid: string }> {
    const res = await this.fetch('POST', path);
    const body = (await res.json()) as { sid: string };
    this.sid = body.sid;
    return body;
  }

  async me(): Promise<string | null> {
    const res = await this.fetch('GET', '/me');
    const body = (await res.json()) as { userId: string | null };
    return body.userId;
  }

  private async fetch(method: string, path: string): Promise<Response> {
    const cookie = this.cookies.header();
    const res = await fetch(this.base + path, {
      method,
      headers: { 'user-agent': this.userAgent, ...(cookie ? { cookie } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    this.cookies.absorb(res.headers.getSetCookie());
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  }
}

export const LAPTOP = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36';
export const PHONE = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';
export const TABLET = 'Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/604.1';
