import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { RedisOperationError, SessionKitError, SessionStore, type SessionStoreOptions } from '@sessionkit/core';
import { isTraced, operationContext, settleOutcome, traced } from '@sessionkit/core/toolkit';
import type { ConnectionFlags } from './connect.js';
import type { Context, Result } from './context.js';
import { ConnectionError, EXIT, UsageError } from './errors.js';
import { Output, type Io } from './output.js';
import { doctor } from './commands/doctor.js';
import { list } from './commands/list.js';
import { migrate, parseUserField } from './commands/migrate.js';
import { keyRingFrom, reencrypt } from './commands/reencrypt.js';
import { checkRevokeArgs, revoke } from './commands/revoke.js';
import { stats } from './commands/stats.js';

declare const __SESSIONKIT_CLI_VERSION__: string | undefined;
const VERSION = typeof __SESSIONKIT_CLI_VERSION__ !== 'undefined' ? __SESSIONKIT_CLI_VERSION__ : '0.0.0-dev';

interface GlobalOptions extends ConnectionFlags {
  prefix: string;
  indexPrefix?: string;
  json?: boolean;
  progress?: boolean;
}

function count(name: string, { allowZero = false } = {}) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || (!allowZero && n === 0)) {
      throw new InvalidArgumentError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} whole number.`);
    }
    return n;
  };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** The same rules as the stores' options, checked before connecting so that a typo costs no connection. */
function resolvePrefixes(options: GlobalOptions): { prefix: string; indexPrefix: string } {
  const prefix = options.prefix;
  if (!prefix) throw new UsageError('--prefix must not be empty');
  const indexPrefix = options.indexPrefix ?? `idx:${prefix}`;
  if (!indexPrefix || indexPrefix.startsWith(prefix) || prefix.startsWith(indexPrefix)) {
    throw new UsageError(
      `--index-prefix (${JSON.stringify(indexPrefix)}) must be non-empty and neither start with nor be the start of --prefix (${JSON.stringify(prefix)})`,
    );
  }
  return { prefix, indexPrefix };
}

/** Exit status and one-line message for anything a command throws; never a stack trace. */
export function describeFailure(error: unknown): { exit: number; type: string; message: string } {
  if (error instanceof UsageError) return { exit: EXIT.usage, type: 'usage', message: error.message };
  if (error instanceof SessionKitError && ['ERR_INVALID_ID', 'ERR_INVALID_USER_ID', 'ERR_CONFIG', 'ERR_INVALID_OPTION'].includes(error.code)) {
    return { exit: EXIT.usage, type: 'usage', message: error.message };
  }
  if (error instanceof ConnectionError) return { exit: EXIT.failure, type: 'connection', message: error.message };
  if (error instanceof RedisOperationError) {
    const cause = error.cause instanceof Error ? error.cause.message : error.message;
    return { exit: EXIT.failure, type: 'redis', message: `Redis failed ${error.operation}: ${cause}` };
  }
  if (error instanceof Error && (error.name === 'ReplyError' || /^(NOPERM|ERR|WRONGTYPE|OOM|BUSY|CLUSTERDOWN|MOVED|LOADING|READONLY) /.test(error.message))) {
    return { exit: EXIT.failure, type: 'redis', message: `Redis refused a command: ${error.message}` };
  }
  if (error instanceof Error && /Command timed out|Connection is closed|ECONNRESET|ECONNREFUSED/.test(error.message)) {
    return { exit: EXIT.failure, type: 'connection', message: `lost the connection to Redis: ${error.message}` };
  }
  return { exit: EXIT.failure, type: 'internal', message: error instanceof Error ? error.message : String(error) };
}

/** A long run, traced on its `sessionkit:<name>` channel when someone listens (docs/observability.md). */
function traceRun(name: 'migrate' | 'stats', work: () => Promise<Result>): Promise<Result> {
  if (!isTraced(name)) return work();
  return traced(operationContext(name), work, (_result, ctx) => settleOutcome(ctx, 'done'));
}

export async function main(argv: string[], io: Io, signal: AbortSignal = new AbortController().signal): Promise<number> {
  let exitCode: number = EXIT.ok;
  const wantsJson = argv.includes('--json');

  const program = new Command('sessionkit');
  program
    .description('Look at and act on SessionKit sessions in Redis, check the Redis, and finish a connect-redis migration.')
    .version(VERSION, '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .showHelpAfterError('(add --help for usage)')
    .option('--url <url>', 'Redis URL, redis:// or rediss:// (default: REDIS_URL, else redis://127.0.0.1:6379)')
    .option('--cluster-nodes <host:port,...>', 'Redis Cluster seed nodes (default: REDIS_CLUSTER_NODES)')
    .option('--sentinels <host:port,...>', 'Redis Sentinel addresses (default: REDIS_SENTINELS)')
    .option('--sentinel-name <name>', 'master name for --sentinels (default: REDIS_SENTINEL_NAME, else mymaster)')
    .option('--prefix <prefix>', "prefix of session keys, as the store's `prefix` option", 'sess:')
    .option('--index-prefix <prefix>', 'prefix of user index keys, as the store\'s `indexPrefix` option (default: "idx:" + prefix)')
    .addHelpText(
      'after',
      `
Environment: REDIS_URL, REDIS_CLUSTER_NODES, REDIS_SENTINELS + REDIS_SENTINEL_NAME (first one set wins,
after the flags), REDIS_USERNAME / REDIS_PASSWORD for cluster and sentinel nodes, REDIS_SENTINEL_PASSWORD,
NODE_EXTRA_CA_CERTS for a private CA with rediss://, NO_COLOR.

Exit status: 0 done, 1 failure (Redis unreachable or refusing, a doctor check failed, migrate could
not index some sessions), 2 usage error, 130 interrupted.

Examples:
  sessionkit list 42
  sessionkit revoke 42 --all --except "$CURRENT_SID"
  sessionkit revoke 42 -- "$SID"          (-- before session ids: a random id may start with -)
  REDIS_URL=rediss://admin:secret@redis.internal:6380 sessionkit doctor --json
  sessionkit migrate --dry-run --user-field account.id`,
    );

  /** Connects, runs the command, prints its result; every command goes through here. */
  const run = async (command: Command, work: (ctx: Context) => Promise<Result>, storeOptions: Partial<SessionStoreOptions> = {}) => {
    const options = command.optsWithGlobals<GlobalOptions>();
    const out = new Output(io, options.json === true, options.progress !== false);
    const prefixes = resolvePrefixes(options);
    // Loaded here: help, version and usage errors then never load the Redis client.
    const { connect } = await import('./connect.js');
    const connection = await connect(options, io.env);
    try {
      out.note(`Redis: ${connection.description}`);
      const store = new SessionStore({ client: connection.client, ...prefixes, ...storeOptions });
      const result = await work({ out, connection, store, prefixes, signal });
      if (out.json) out.document(result.data);
      else result.render(out);
      exitCode = result.exitCode ?? EXIT.ok;
    } finally {
      await connection.close();
    }
  };
  const jsonOption = () => new Option('--json', 'print one JSON document on stdout, nothing else');
  const progressOption = () => new Option('--no-progress', 'no progress bar (there is none unless stderr is a terminal)');
  const rateOption = () =>
    new Option('--rate <keys>', 'at most this many keys per second, all masters together; 0 for no limit')
      .argParser(count('--rate', { allowZero: true }))
      .default(5000);

  program
    .command('list')
    .description("a user's live sessions: id, device, created, last seen, expiry, absolute expiry")
    .argument('<userId>', 'the user id, as the app stores it')
    .addOption(jsonOption())
    .action((userId: string, _options, command: Command) => {
      // Devices are encrypted with the apps' encryptionKeys: read with the same ring when it is given.
      const ring = io.env.SESSION_ENCRYPTION_KEYS?.trim() ? keyRingFrom(undefined, io.env) : undefined;
      return run(command, (ctx) => list(ctx, userId), ring ? { encryptionKeys: ring } : {});
    });

  program
    .command('revoke')
    .description("revoke some of a user's sessions (only ones that are theirs), or all of them with --all")
    .argument('<userId>', 'the user id')
    .argument('[sessionIds...]', 'sessions to revoke')
    .option('--all', 'sign the user out everywhere (logout-everywhere)')
    .option('--except <sessionId>', 'with --all: keep this session (repeatable)', collect)
    .addOption(jsonOption())
    .action((userId: string, sessionIds: string[], options: { all?: boolean; except?: string[] }, command: Command) => {
      checkRevokeArgs(sessionIds, options);
      return run(command, (ctx) => revoke(ctx, userId, sessionIds, options));
    });

  program
    .command('stats')
    .description('counts of sessions, users, tombstones and connect-redis sessions; sessions per user; TTLs; memory (SCAN on every master)')
    .addOption(rateOption())
    .addOption(new Option('--sample <keys>', 'keys whose MEMORY USAGE is sampled, per kind').argParser(count('--sample', { allowZero: true })).default(100))
    .addOption(progressOption())
    .addOption(jsonOption())
    .action((options: { rate: number; sample: number; progress: boolean }, command: Command) =>
      run(command, (ctx) => traceRun('stats', () => stats(ctx, { rate: options.rate, sample: options.sample, progress: options.progress }))),
    );

  program
    .command('doctor')
    .description('check the Redis: version, maxmemory-policy, persistence, ACL permissions, cluster state, latency (exit 1 if a check fails)')
    .addOption(new Option('--samples <n>', 'round trips in the latency sample, per master').argParser(count('--samples')).default(20))
    .addOption(jsonOption())
    .action((options: { samples: number }, command: Command) => run(command, (ctx) => doctor(ctx, { samples: options.samples })));

  program
    .command('migrate')
    .description(
      "move every session still under its plain id (connect-redis's, or SessionKit's before hashed ids) to its hashed key and its owner's index, so that logout-everywhere reaches it",
    )
    .option('--dry-run', 'count what would be moved (or indexed), write nothing')
    .option(
      '--index-only',
      'only index connect-redis sessions under their plain id, values untouched (connect-redis can still read them; for an app with hashIds: false)',
    )
    .addOption(rateOption())
    .option(
      '--user-field <path>',
      'dotted path to the owner in the session, e.g. account.id (default: userId, then user.id, then passport.user, as the stores)',
    )
    .addOption(progressOption())
    .addOption(jsonOption())
    .action((options: { dryRun?: boolean; indexOnly?: boolean; rate: number; userField?: string; progress: boolean }, command: Command) => {
      if (options.userField !== undefined) parseUserField(options.userField);
      return run(command, (ctx) =>
        traceRun('migrate', () =>
          migrate(ctx, {
            dryRun: options.dryRun === true,
            indexOnly: options.indexOnly === true,
            rate: options.rate,
            userField: options.userField,
            progress: options.progress,
          }),
        ),
      );
    });

  program
    .command('reencrypt')
    .description('rewrite every session not under the current encryption key (the first one) under it, so that older keys can be retired')
    .option('--keys <keys>', 'the key ring, comma-separated base64, current first (default: SESSION_ENCRYPTION_KEYS; prefer it: a flag shows in ps)')
    .option('--dry-run', 'count what would be rewritten, write nothing')
    .addOption(rateOption())
    .option('--cursor <cursor>', 'go on from where an interrupted run stopped (it prints this cursor)')
    .addOption(progressOption())
    .addOption(jsonOption())
    .action((options: { keys?: string; dryRun?: boolean; rate: number; cursor?: string; progress: boolean }, command: Command) => {
      // Checked before connecting; the keys themselves are never printed, not even in an error.
      const ring = keyRingFrom(options.keys, io.env);
      const work = (ctx: Context) =>
        reencrypt(ctx, { dryRun: options.dryRun === true, rate: options.rate, progress: options.progress, resume: options.cursor });
      // hashIds: a clear record under a handle-shaped key is sealed for that handle (see core's `resealed`).
      return run(command, work, { encryptionKeys: ring, hashIds: true });
    });

  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end in a CommanderError too; commander has printed its message already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    const failure = describeFailure(error);
    if (wantsJson) io.stdout.write(`${JSON.stringify({ error: { type: failure.type, message: failure.message } }, null, 2)}\n`);
    io.stderr.write(`sessionkit: ${failure.message}\n`);
    if (failure.type === 'usage') io.stderr.write('(add --help for usage)\n');
    if (failure.type === 'internal' && io.env.SESSIONKIT_DEBUG && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return failure.exit;
  }
}
