import type { Redis } from 'ioredis';
import type { Context, Result } from '../context.js';
import { documentedAcl } from '../documented-acl.js';
import type { Output } from '../output.js';
import { unindexedLegacyNote, unindexedLegacySessions } from './stats.js';

export type Status = 'pass' | 'warn' | 'fail';

export interface Check {
  id: 'server' | 'maxmemory-policy' | 'persistence' | 'acl' | 'topology' | 'latency' | 'connect-redis-sessions';
  title: string;
  status: Status;
  /** What was found and what it means. */
  detail: string;
  /** What to do about it, for warn and fail. */
  fix?: string;
  /** Set on a cluster when the masters disagree: each one's own result. */
  nodes?: { node: string; status: Status; detail: string }[];
}

export interface DoctorOptions {
  /** Round trips in the latency sample, per master. */
  samples: number;
}

const RANK: Record<Status, number> = { pass: 0, warn: 1, fail: 2 };

function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}

function versionOf(text: string): [number, number, number] {
  const [major = 0, minor = 0, patch = 0] = text.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return [major, minor, patch];
}

function atLeast(version: [number, number, number], major: number, minor = 0): boolean {
  return version[0] > major || (version[0] === major && version[1] >= minor);
}

function nodeName(node: Redis): string {
  return `${node.options.host}:${node.options.port}`;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

type NodeCheck = Omit<Check, 'id' | 'title' | 'nodes'>;

function serverCheck(info: Record<string, string>): NodeCheck {
  const text = info.redis_version ?? 'unknown';
  const version = versionOf(text);
  if (atLeast(version, 7)) {
    const enables = [
      'PEXPIREAT ... GT (a write keeps its user index alive in one O(1) call)',
      "ACL rules applied inside scripts (hence the scripts' commands in the ACL list)",
      'redis.acl_check_cmd (the ACL check below)',
    ];
    if (atLeast(version, 7, 2)) enables.push('CLIENT SETINFO, which ioredis sends on connect (ACL rule +client|setinfo)');
    return { status: 'pass', detail: `Redis ${text} (${info.redis_mode ?? 'standalone'}), which has what SessionKit uses: ${enables.join('; ')}.` };
  }
  if (atLeast(version, 6)) {
    return {
      status: 'warn',
      detail: `Redis ${text}: SessionKit is tested on Redis 7. Without PEXPIREAT ... GT every write with an owner recomputes the index's expiry from its members, and this check cannot read ACL permissions.`,
      fix: 'Upgrade to Redis 7 or later.',
    };
  }
  return {
    status: 'fail',
    detail: `Redis ${text} is older than any version SessionKit supports (no ACLs, no Redis 6 script semantics).`,
    fix: 'Upgrade to Redis 7 or later.',
  };
}

function maxmemoryCheck(memory: Record<string, string>, stats: Record<string, string>): NodeCheck {
  const policy = memory.maxmemory_policy ?? 'unknown';
  const limit = Number(memory.maxmemory ?? 0);
  const evicted = Number(stats.evicted_keys ?? 0);
  const limitText = limit > 0 ? `maxmemory ${limit} bytes` : 'no maxmemory limit';
  if (policy.startsWith('allkeys-')) {
    return {
      status: 'fail',
      detail:
        `maxmemory-policy is ${policy} (${limitText}): when memory runs out Redis evicts any key, so it can evict a user's index while ` +
        'their sessions live on, and logout-everywhere (and the session list) would then miss those sessions; it can also evict ' +
        'tombstones, letting a request in flight write a revoked session back.',
      fix: 'CONFIG SET maxmemory-policy noeviction (and set it in redis.conf); keep caches on another instance.',
    };
  }
  const evictions = evicted > 0 ? ` ${evicted} keys have been evicted since the server started: treat that as an incident.` : '';
  if (policy === 'noeviction') {
    return {
      status: evicted > 0 ? 'warn' : 'pass',
      detail:
        `maxmemory-policy is noeviction (${limitText}): nothing SessionKit writes is ever dropped; the trade-off is that when memory ` +
        `is full, writes (logins, saves) fail with an OOM error (RedisOperationError in the store), which you should alert on.${evictions}`,
      ...(evicted > 0 ? { fix: "Find what evicted keys (a policy change?) and invalidate the affected users' sessions." } : {}),
    };
  }
  if (policy.startsWith('volatile-')) {
    return {
      status: evicted > 0 ? 'warn' : 'pass',
      detail:
        `maxmemory-policy is ${policy} (${limitText}): the trade-off is that every SessionKit key has an expiry, so when memory runs ` +
        'out this policy can still evict sessions, user indexes and tombstones' +
        (policy === 'volatile-ttl' ? ' (tombstones first: theirs is the shortest TTL)' : '') +
        `. Fine on an instance dedicated to sessions and sized so that it never evicts; alert on evicted_keys > 0.${evictions}`,
      ...(evicted > 0 ? { fix: "Give Redis more memory or use noeviction; invalidate the affected users' sessions." } : {}),
    };
  }
  return { status: 'warn', detail: `maxmemory-policy is ${policy}, which this check does not know.`, fix: 'Use noeviction.' };
}

async function persistenceCheck(node: Redis, persistence: Record<string, string>): Promise<NodeCheck> {
  const aof = persistence.aof_enabled === '1';
  let save: string | undefined;
  let fsync: string | undefined;
  try {
    // CONFIG is an admin command: an application's ACL user is refused, and then INFO tells less.
    const reply = (await node.config('GET', 'save')) as string[];
    save = reply[1] ?? '';
    if (aof) fsync = ((await node.config('GET', 'appendfsync')) as string[])[1];
  } catch {
    save = undefined;
  }
  if (aof) {
    return {
      status: 'pass',
      detail: `AOF is on${fsync ? ` (appendfsync ${fsync})` : ''}: after a restart at most about a second of writes is lost (a login, a change, a revocation).`,
    };
  }
  if (save === undefined) {
    return {
      status: 'warn',
      detail: 'AOF is off, and the snapshot schedule could not be read (CONFIG GET save was refused to this user).',
      fix: 'Run doctor as an admin user to check it, or make sure RDB snapshots or AOF (appendonly yes, appendfsync everysec) are on.',
    };
  }
  if (save.trim() === '') {
    return {
      status: 'warn',
      detail:
        'No persistence (no RDB snapshots, AOF off): a restart signs every user out, and tombstones are lost, so a request in flight ' +
        'across the restart can write back a session revoked just before it.',
      fix: 'CONFIG SET appendonly yes and appendfsync everysec (and in redis.conf), unless a mass sign-out on restart is acceptable.',
    };
  }
  return {
    status: 'pass',
    detail:
      `RDB snapshots (save ${save}), AOF off: the trade-off is that a restart goes back to the last snapshot, so sessions created since ` +
      'are gone and sessions revoked since (logout-everywhere included) come back until they expire. AOF with appendfsync everysec narrows that to a second.',
  };
}

/** One sample call per rule; `K` is replaced by a probe key under the session or index prefix. */
const SAMPLE_ARGS: Record<string, string[]> = {
  eval: ['eval', 'return 1', '1', 'K'],
  evalsha: ['evalsha', '0000000000000000000000000000000000000000', '1', 'K'],
  set: ['set', 'K', 'v', 'PX', '1000'],
  rename: ['rename', 'K', 'K:revoking'],
  hmget: ['hmget', 'K', 'f'],
  hget: ['hget', 'K', 'f'],
  hset: ['hset', 'K', 'f', 'v'],
  hdel: ['hdel', 'K', 'f'],
  pexpire: ['pexpire', 'K', '1000'],
  pexpireat: ['pexpireat', 'K', '1'],
  zadd: ['zadd', 'K', '1', 'm'],
  zrem: ['zrem', 'K', 'm'],
  zrange: ['zrange', 'K', '0', '-1'],
  zscore: ['zscore', 'K', 'm'],
  zremrangebyscore: ['zremrangebyscore', 'K', '0', '1'],
  zunionstore: ['zunionstore', 'K', '1', 'K:revoking'],
  getrange: ['getrange', 'K', '0', '1'],
  setrange: ['setrange', 'K', '0', 'v'],
  scan: ['scan', '0'],
  info: ['info'],
  time: ['time'],
  readwrite: ['readwrite'],
  wait: ['wait', '0', '0'],
  'client|setname': ['client', 'setname', 'x'],
  'script|load': ['script', 'load', 'return 1'],
  'client|setinfo': ['client', 'setinfo', 'lib-name', 'x'],
  'cluster|slots': ['cluster', 'slots'],
  'cluster|info': ['cluster', 'info'],
  'cluster|shards': ['cluster', 'shards'],
};

/** Commands in the list that take no key; any other is a single-key command unless SAMPLE_ARGS says otherwise. */
const KEYLESS = new Set(['scan', 'info', 'time', 'readwrite', 'wait', 'multi', 'exec', 'discard', 'ping', 'dbsize']);

const ACL_PROBE = `
local results = {}
for i = 1, #ARGV do
  local ok, allowed = pcall(redis.acl_check_cmd, unpack(cjson.decode(ARGV[i])))
  if not ok then results[i] = 'error'
  elseif allowed then results[i] = 1
  else results[i] = 0 end
end
return results
`;

interface Probe {
  rule: string;
  args: string[];
  /** The prefix whose probe key the call names, if any. */
  pattern?: string;
}

function probesFor(rules: string[], prefixes: { prefix: string; indexPrefix: string }): Probe[] {
  const probes: Probe[] = [];
  const keys = [
    { key: `${prefixes.prefix}sessionkit-doctor-probe`, pattern: `${prefixes.prefix}*` },
    { key: `${prefixes.indexPrefix}{sessionkit-doctor-probe}`, pattern: `${prefixes.indexPrefix}*` },
  ];
  for (const rule of rules) {
    // Only command grants can be probed; key patterns are probed through the commands' keys.
    if (!rule.startsWith('+') || rule.startsWith('+@')) continue;
    const name = rule.slice(1).toLowerCase();
    const sample = SAMPLE_ARGS[name] ?? [...name.split('|'), ...(KEYLESS.has(name) || name.includes('|') ? [] : ['K'])];
    if (!sample.includes('K') && !sample.some((arg) => arg.startsWith('K:'))) {
      probes.push({ rule, args: sample });
      continue;
    }
    for (const { key, pattern } of keys) {
      probes.push({ rule, pattern, args: sample.map((arg) => (arg === 'K' ? key : arg.startsWith('K:') ? key + arg.slice(1) : arg)) });
    }
  }
  return probes;
}

async function aclCheck(
  node: Redis,
  version: [number, number, number],
  cluster: boolean,
  prefixes: { prefix: string; indexPrefix: string },
): Promise<NodeCheck> {
  const required = [...documentedAcl.rules, ...(cluster ? (documentedAcl.extras.Cluster ?? []) : [])];
  const optional = atLeast(version, 7, 2) ? (documentedAcl.extras['Redis >= 7.2'] ?? []) : [];
  if (required.length === 0) return { status: 'warn', detail: 'This build carries no ACL list to check against.' };
  if (!atLeast(version, 7)) {
    return {
      status: 'warn',
      detail: 'Permissions can be checked on Redis 7 or later only (redis.acl_check_cmd).',
      fix: 'Check the ACL user by hand against docs/operations.md, "ACL user".',
    };
  }
  let user = 'the connected user';
  try {
    user = `user "${String(await node.call('ACL', 'WHOAMI'))}"`;
  } catch {
    // The application's user has no ACL commands; the probe below needs none.
  }
  const probes = probesFor([...required, ...optional], prefixes);
  let replies: unknown[];
  try {
    replies = (await node.eval(ACL_PROBE, 0, ...probes.map((p) => JSON.stringify(p.args)))) as unknown[];
  } catch (error) {
    return {
      status: 'fail',
      detail: `Could not run the permission probe as ${user}: ${message(error)}. The store needs EVAL/EVALSHA for nearly every operation.`,
      fix: 'ACL SETUSER <user> +eval +evalsha, then the rules of docs/operations.md, "ACL user".',
    };
  }
  const refused = new Map<string, Set<string>>();
  probes.forEach((probe, i) => {
    if (replies[i] === 1) return;
    const where = refused.get(probe.rule) ?? new Set<string>();
    if (probe.pattern) where.add(probe.pattern);
    refused.set(probe.rule, where);
  });
  const missingRequired = [...refused.keys()].filter((rule) => required.includes(rule));
  const missingOptional = [...refused.keys()].filter((rule) => !required.includes(rule));
  const checked = new Set(probes.map((p) => p.rule)).size;
  if (missingRequired.length === 0 && missingOptional.length === 0) {
    return {
      status: 'pass',
      detail: `${user} may run all ${checked} commands the store needs${cluster ? ' on a cluster' : ''}, on keys under both prefixes (docs/operations.md, "ACL user").`,
    };
  }
  // A command refused under one prefix but allowed under the other is a missing key pattern.
  const patterns = new Set<string>();
  const commands: string[] = [];
  for (const rule of [...missingRequired, ...missingOptional]) {
    const where = refused.get(rule)!;
    const probed = new Set(probes.filter((p) => p.rule === rule && p.pattern).map((p) => p.pattern!));
    if (where.size > 0 && where.size < probed.size) for (const pattern of where) patterns.add(pattern);
    else commands.push(rule);
  }
  const fix = `ACL SETUSER <user> ${[...[...patterns].map((p) => `~${p}`), ...commands].join(' ')}`;
  const refusedText = [
    ...(patterns.size ? [`keys matching ${[...patterns].join(' and ')} (no key pattern grants them)`] : []),
    ...(commands.length ? [`the command${commands.length === 1 ? '' : 's'} ${commands.map((r) => r.slice(1).toUpperCase()).join(', ')}`] : []),
  ].join('; and ');
  if (missingRequired.length === 0) {
    return {
      status: 'warn',
      detail: `${user} is refused ${refusedText}: harmless (ioredis names its library on connect), but each refusal is logged in ACL LOG.`,
      fix,
    };
  }
  return {
    status: 'fail',
    detail: `${user} is refused ${refusedText}, which the store needs: the operations that use them fail with NOPERM ("The user executing the script can't run this command" inside scripts).`,
    fix,
  };
}

function topologyNodeCheck(replication: Record<string, string>): NodeCheck {
  if (replication.role !== 'master') {
    return {
      status: 'fail',
      detail: `Connected to a ${replication.role ?? 'unknown'} (read-only): every write would fail.`,
      fix: 'Point SessionKit at the primary (or at the sentinels with REDIS_SENTINELS).',
    };
  }
  const replicas = Number(replication.connected_slaves ?? 0);
  return {
    status: 'pass',
    detail:
      `Single primary with ${replicas} replica${replicas === 1 ? '' : 's'}: every write with its index is one atomic script.` +
      (replicas === 0 ? ' With no replica a crash of this node signs everyone out until it is back (and loses what persistence did not keep).' : ''),
  };
}

async function clusterCheck(node: Redis): Promise<NodeCheck> {
  const info = parseInfo(String(await node.call('CLUSTER', 'INFO')));
  const state = info.cluster_state ?? 'unknown';
  const assigned = Number(info.cluster_slots_assigned ?? 0);
  const failing = Number(info.cluster_slots_fail ?? 0) + Number(info.cluster_slots_pfail ?? 0);
  const detail = `cluster_state ${state}, ${assigned} of 16384 slots assigned, ${failing} failing, ${info.cluster_known_nodes ?? '?'} known nodes, ${info.cluster_size ?? '?'} masters serving slots`;
  if (state !== 'ok' || assigned !== 16384) {
    return {
      status: 'fail',
      detail: `${detail}: commands on the missing or failing slots are refused (CLUSTERDOWN).`,
      fix: 'Assign every slot and bring failed masters back (redis-cli --cluster check / fix).',
    };
  }
  if (failing > 0)
    return { status: 'warn', detail: `${detail}: some slots are served by nodes suspected down.`, fix: 'Check the failing nodes (redis-cli --cluster check).' };
  return { status: 'pass', detail: `${detail}. Writes with an owner cost 2 round trips (session slot, then index slot).` };
}

async function latencyCheck(node: Redis, samples: number): Promise<NodeCheck> {
  // TIME is in the store's ACL list (PING is not), and costs Redis as little.
  const times: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await node.time();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.ceil(p * times.length) - 1)]!;
  const median = at(0.5);
  const detail = `${samples} round trips: min ${times[0]!.toFixed(2)} ms, median ${median.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms (from this machine)`;
  if (median > 10) {
    return {
      status: 'warn',
      detail: `${detail}: every request waits at least one round trip for its session.`,
      fix: 'Run the app (and this check) close to Redis: same region and zone.',
    };
  }
  return { status: 'pass', detail: `${detail}.` };
}

/** Runs one check on every master, and folds the answers into one line (or one per node when they differ). */
async function perMaster(id: Check['id'], title: string, masters: Redis[], run: (node: Redis) => Promise<NodeCheck>): Promise<Check> {
  const results = await Promise.all(
    masters.map(async (node) => {
      try {
        return { node: nodeName(node), ...(await run(node)) };
      } catch (error) {
        return {
          node: nodeName(node),
          status: 'fail' as Status,
          detail: `Could not check: ${message(error)}`,
          fix: 'Give the user this command, or run doctor as an admin user.',
        };
      }
    }),
  );
  const worst = results.reduce((a, b) => (RANK[b.status] > RANK[a.status] ? b : a));
  const same = results.every((r) => r.status === worst.status && r.detail === worst.detail);
  const check: Check = { id, title, status: worst.status, detail: worst.detail };
  if (worst.fix) check.fix = worst.fix;
  if (!same) {
    check.detail = `${results.filter((r) => r.status === worst.status).length} of ${results.length} masters: ${worst.detail}`;
    check.nodes = results.map(({ node, status, detail }) => ({ node, status, detail }));
  }
  return check;
}

export async function doctor(ctx: Context, options: DoctorOptions): Promise<Result> {
  const masters = ctx.connection.masters();
  const cluster = ctx.connection.cluster;
  const infos = new Map<Redis, Record<string, string>>();
  const info = async (node: Redis) => {
    let fields = infos.get(node);
    if (!fields) {
      fields = parseInfo(await node.info());
      infos.set(node, fields);
    }
    return fields;
  };
  const checks: Check[] = [];
  checks.push(await perMaster('server', 'Redis version', masters, async (node) => serverCheck(await info(node))));
  checks.push(await perMaster('maxmemory-policy', 'maxmemory-policy', masters, async (node) => maxmemoryCheck(await info(node), await info(node))));
  checks.push(await perMaster('persistence', 'Persistence', masters, async (node) => persistenceCheck(node, await info(node))));
  checks.push(
    await perMaster('acl', 'ACL permissions', masters, async (node) =>
      aclCheck(node, versionOf((await info(node)).redis_version ?? '0'), cluster, ctx.prefixes),
    ),
  );
  checks.push(
    cluster
      ? await perMaster('topology', 'Cluster state', masters, clusterCheck)
      : await perMaster('topology', 'Topology', masters, async (node) => topologyNodeCheck(await info(node))),
  );
  checks.push(await perMaster('latency', 'Latency', masters, (node) => latencyCheck(node, options.samples)));
  // Only when there is something to say: connect-redis sessions that no user index holds (before
  // `sessionkit migrate`) escape list, revoke and logout-everywhere. A user without SCAN or GET
  // rights (a narrow ACL) gets no such check rather than a failed run: the ACL check covers that.
  const legacy = await unindexedLegacySessions(ctx).catch(() => undefined);
  const legacyNote = legacy && unindexedLegacyNote(legacy, ctx.prefixes.prefix);
  if (legacyNote) {
    checks.push({
      id: 'connect-redis-sessions',
      title: 'connect-redis sessions',
      status: 'warn',
      detail: legacyNote.slice(0, legacyNote.indexOf(' Run `sessionkit migrate`')),
      fix: 'Run `sessionkit migrate` (once every instance serves through SessionKit) to index them.',
    });
  }

  const failed = checks.filter((c) => c.status === 'fail').length;
  const warned = checks.filter((c) => c.status === 'warn').length;
  return {
    data: { ok: failed === 0, target: ctx.connection.description, masters: masters.length, failed, warned, checks },
    exitCode: failed === 0 ? 0 : 1,
    render(out: Output) {
      const { c } = out;
      const label: Record<Status, string> = { pass: c.green('PASS'), warn: c.yellow('WARN'), fail: c.red(c.bold('FAIL')) };
      for (const check of checks) {
        out.line(`${label[check.status]}  ${c.bold(check.title)}: ${check.detail}`);
        for (const node of check.nodes ?? []) out.line(`        ${node.node}: ${label[node.status]} ${node.detail}`);
        if (check.fix && check.status !== 'pass') out.line(`      ${c.cyan('fix:')} ${check.fix}`);
      }
      out.line();
      const summary = `${checks.length - failed - warned} passed, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed`;
      out.line(failed ? c.red(summary) : warned ? c.yellow(summary) : c.green(summary));
    },
  };
}
