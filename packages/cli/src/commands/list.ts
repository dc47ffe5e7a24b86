import type { Context, Result } from '../context.js';
import { formatTime, relative, type Output } from '../output.js';
import { unindexedLegacyNote, unindexedLegacySessions } from './stats.js';

/** Device details as the adapters' `meta` option stores them; unknown keys shown as they are. */
function describeMeta(meta: Record<string, unknown> | undefined): string {
  if (!meta) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    if (value === null || value === undefined || value === '') continue;
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    parts.push(key === 'userAgent' || key === 'ua' ? shorten(text, 48) : `${key}=${shorten(text, 40)}`);
  }
  return parts.join(' · ');
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

export async function list(ctx: Context, userId: string): Promise<Result> {
  const sessions = await ctx.store.listUserSessions(userId);
  const now = ctx.store.redisTime();
  // None listed: the user may still be signed in through a connect-redis session that no index
  // holds yet (before `sessionkit migrate`); say so rather than a bare "none". Only a hint: a
  // user the ACL refuses SCAN or GET still gets the list.
  const legacy = sessions.length === 0 ? await unindexedLegacySessions(ctx, userId).catch(() => undefined) : undefined;
  const note = legacy && unindexedLegacyNote(legacy, ctx.prefixes.prefix, userId);
  return {
    data: { userId, count: sessions.length, sessions, ...(note ? { unindexedConnectRedis: legacy } : {}) },
    render(out: Output) {
      const { c } = out;
      if (sessions.length === 0) {
        out.line(`User ${c.bold(userId)} has no live sessions.`);
        if (note) out.line(c.yellow(note));
        return;
      }
      out.line(
        `User ${c.bold(userId)}: ${sessions.length} live session${sessions.length === 1 ? '' : 's'}, most recently seen first (times in UTC; --json for exact ones)`,
      );
      out.line(
        out.table(
          ['session id', 'device', 'created', 'last seen', 'expires', 'absolute expiry'],
          sessions.map((s) => [
            s.id,
            // Indexed by `sessionkit migrate`: connect-redis recorded no device and no times.
            s.legacy ? c.dim('connect-redis session') : describeMeta(s.meta) || c.dim('—'),
            s.legacy ? c.dim('—') : formatTime(s.createdAt),
            s.legacy ? c.dim('—') : relative(s.lastSeenAt, now),
            relative(s.expiresAt, now),
            s.absoluteExpiresAt ? formatTime(s.absoluteExpiresAt) : c.dim('none'),
          ]),
        ),
      );
    },
  };
}
