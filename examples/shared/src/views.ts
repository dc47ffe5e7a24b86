import { hashId, type SessionInfo } from '@sessionkit/core';
import { describeDevice } from './device.js';
import { DEMO_PASSWORD, users, type DemoUser } from './users.js';

/**
 * Server-rendered pages shared by the Express and Fastify examples. Every value that reaches
 * the HTML goes through `escapeHtml`. Forms are plain POSTs (application/x-www-form-urlencoded).
 */

/** URLs and form actions; both apps mount exactly these. */
export const routes = Object.freeze({
  home: '/',
  signIn: '/login', // GET: form; POST: username, password
  signOut: '/logout', // POST
  sessions: '/sessions', // GET: the Active sessions page
  revoke: '/sessions/revoke', // POST: session=<handle>
  signOutOthers: '/sessions/sign-out-others', // POST
  signOutEverywhere: '/sessions/sign-out-everywhere', // POST
});

/** What the apps keep beside a session for the listing (the store's `meta` option). */
export interface DeviceMeta {
  userAgent: string;
  ip: string;
}

export function deviceMeta(userAgent: string | string[] | undefined, ip: string | undefined): DeviceMeta {
  const ua = Array.isArray(userAgent) ? userAgent.join(' ') : (userAgent ?? '');
  return { userAgent: ua.slice(0, 512), ip: (ip ?? '').replace(/^::ffff:/, '').slice(0, 64) };
}

/**
 * The public handle of a session on the Active sessions page: a hash of its id. Pages never
 * carry raw session ids, so a leaked page (or an XSS) cannot hand out other devices' cookies.
 */
export function sessionHandle(sessionId: string): string {
  return hashId(sessionId);
}

export function findSessionByHandle<T extends { id: string }>(sessions: readonly T[], handle: unknown): T | undefined {
  return typeof handle === 'string' && handle ? sessions.find((s) => sessionHandle(s.id) === handle) : undefined;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (ch) => ESCAPES[ch]!);
}

export interface PageOptions {
  /** Shown in the header, e.g. "Express". */
  framework?: string;
  /** A one-line message at the top (after a redirect, for example). */
  notice?: string;
  /** A one-line error at the top. */
  error?: string;
}

const STYLE = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Ubuntu,sans-serif;color:#1f2328;background:#f4f6f8}
header{background:#1f2a44;color:#fff;padding:14px 24px;display:flex;align-items:center;gap:16px}
header .brand{font-weight:650;letter-spacing:.2px}
header .brand small{font-weight:400;opacity:.7;margin-left:6px}
header nav{margin-left:auto;display:flex;align-items:center;gap:14px}
header a{color:#dbe4ff;text-decoration:none}
header a:hover{text-decoration:underline}
header form{margin:0}
header button{background:transparent;border:1px solid #6b7aa6;color:#fff;border-radius:6px;padding:4px 10px;cursor:pointer;font:inherit}
main{max-width:980px;margin:28px auto;padding:0 20px}
.card{background:#fff;border:1px solid #d8dee4;border-radius:10px;padding:22px 24px;margin-bottom:18px;box-shadow:0 1px 2px rgba(31,35,40,.04)}
h1{font-size:22px;margin:0 0 6px}
h2{font-size:17px;margin:0 0 10px}
p{margin:6px 0}
.muted{color:#656d76}
.notice{background:#ddf4ff;border:1px solid #9cd0f5;color:#0a3069;border-radius:8px;padding:10px 14px;margin-bottom:16px}
.error{background:#ffebe9;border:1px solid #ffb8b0;color:#82071e;border-radius:8px;padding:10px 14px;margin-bottom:16px}
label{display:block;font-weight:600;margin:12px 0 4px}
input[type=text],input[type=password]{width:100%;padding:8px 10px;border:1px solid #c9d1d9;border-radius:6px;font:inherit}
.btn{display:inline-block;white-space:nowrap;border:1px solid #c9d1d9;background:#f6f8fa;color:#1f2328;border-radius:6px;padding:6px 14px;font:inherit;font-weight:550;cursor:pointer;text-decoration:none}
.btn:hover{background:#eef1f4}
.btn.primary{background:#1f6feb;border-color:#1f6feb;color:#fff}
.btn.primary:hover{background:#1a5fcc}
.btn.danger{color:#cf222e;border-color:#e5b5b9;background:#fff}
.btn.danger:hover{background:#ffebe9}
.btn.small{padding:3px 10px;font-size:13px}
table{width:100%;border-collapse:collapse}
th,td{text-align:left;padding:10px 8px;border-bottom:1px solid #eaeef2;vertical-align:middle}
th{white-space:nowrap;font-size:12px;text-transform:uppercase;letter-spacing:.5px;color:#656d76;font-weight:600}
tr:last-child td{border-bottom:none}
tr.current{background:#f6fbff}
.device{font-weight:600}
.sub{display:block;font-size:12px;color:#8c959f;white-space:nowrap}
.ua{display:block;font-size:12px;color:#8c959f;max-width:280px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.badge{display:inline-block;margin-left:6px;font-size:11px;font-weight:650;color:#1a7f37;background:#dafbe1;border:1px solid #aceebb;border-radius:999px;padding:0 8px;vertical-align:1px}
.actions{display:flex;gap:10px;flex-wrap:wrap;margin-top:14px}
.actions form,td form{margin:0}
code{background:#eff2f5;border-radius:4px;padding:1px 5px;font-size:13px}
ul.users{margin:6px 0 0;padding-left:20px}
`;

function layout(title: string, body: string, options: PageOptions & { user?: DemoUser } = {}): string {
  const framework = options.framework ? `<small>on ${escapeHtml(options.framework)}</small>` : '';
  const nav = options.user
    ? `<nav><a href="${routes.home}">Home</a><a href="${routes.sessions}">Active sessions</a>` +
      `<span class="muted" style="color:#aab4cf">${escapeHtml(options.user.username)}</span>` +
      `<form method="post" action="${routes.signOut}"><button type="submit">Sign out</button></form></nav>`
    : '';
  const notice = options.notice ? `<div class="notice" role="status">${escapeHtml(options.notice)}</div>` : '';
  const error = options.error ? `<div class="error" role="alert">${escapeHtml(options.error)}</div>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · SessionKit demo</title>
<style>${STYLE}</style>
</head>
<body>
<header><span class="brand">SessionKit demo${framework}</span>${nav}</header>
<main>
${notice}${error}${body}
</main>
</body>
</html>
`;
}

export function signInPage(options: PageOptions & { username?: string } = {}): string {
  const list = users.map((u) => `<li><code>${escapeHtml(u.username)}</code> (${escapeHtml(u.name)})</li>`).join('');
  return layout(
    'Sign in',
    `<div class="card" style="max-width:420px;margin:0 auto 18px">
<h1>Sign in</h1>
<form method="post" action="${routes.signIn}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required value="${escapeHtml(options.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<div class="actions"><button class="btn primary" type="submit">Sign in</button></div>
</form>
</div>
<div class="card muted" style="max-width:420px;margin:0 auto 18px">
<p>Demo accounts (password <code>${escapeHtml(DEMO_PASSWORD)}</code>):</p>
<ul class="users">${list}</ul>
</div>`,
    options,
  );
}

export function homePage(options: PageOptions & { user: DemoUser; sessionCount: number }): string {
  const { user, sessionCount } = options;
  const devices = sessionCount === 1 ? '1 active session' : `${sessionCount} active sessions`;
  return layout(
    'Home',
    `<div class="card">
<h1 data-testid="greeting">Hello, ${escapeHtml(user.name)}</h1>
<p class="muted">You are signed in as <code>${escapeHtml(user.username)}</code>. Your session lives in Redis, so any instance of this app can serve you.</p>
<p>You have <a href="${routes.sessions}" data-testid="session-count">${escapeHtml(devices)}</a>.</p>
</div>`,
    { ...options, user },
  );
}

function formatTime(ms: number, now: number): string {
  const date = new Date(ms);
  const iso = Number.isFinite(ms) ? date.toISOString() : '';
  const seconds = Math.round((now - ms) / 1000);
  let relative: string;
  if (!Number.isFinite(seconds)) relative = 'unknown';
  else if (seconds < 45) relative = 'just now';
  else if (seconds < 90 * 60) relative = `${Math.round(seconds / 60)} min ago`;
  else if (seconds < 36 * 3600) relative = `${Math.round(seconds / 3600)} h ago`;
  else relative = `${Math.round(seconds / 86_400)} days ago`;
  const absolute = iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : '';
  return `<time datetime="${escapeHtml(iso)}">${escapeHtml(relative)}<span class="sub">${escapeHtml(absolute)}</span></time>`;
}

function metaString(meta: Record<string, unknown> | undefined, key: string): string {
  const value = meta?.[key];
  return typeof value === 'string' ? value : '';
}

/**
 * The user's sessions, most recently seen first (as `listUserSessions` returns them), each with
 * a Revoke button; the current one is marked "This device" and offers Sign out instead.
 */
export function sessionsPage(options: PageOptions & { user: DemoUser; sessions: readonly SessionInfo[]; currentSessionId: string; now?: number }): string {
  const { user, sessions, currentSessionId } = options;
  const now = options.now ?? Date.now();
  // The request helpers' listings flag the current session; a store's listing names it by its handle.
  const isCurrent = (s: SessionInfo & { current?: boolean }) => (typeof s.current === 'boolean' ? s.current : s.id === currentSessionId);
  // The current session first, then the others as given.
  const ordered = [...sessions].sort((a, b) => Number(isCurrent(b)) - Number(isCurrent(a)));
  const rows = ordered
    .map((s) => {
      const current = isCurrent(s);
      const handle = sessionHandle(s.id);
      const ua = metaString(s.meta, 'userAgent');
      const ip = metaString(s.meta, 'ip');
      const action = current
        ? `<form method="post" action="${routes.signOut}"><button class="btn small" type="submit">Sign out</button></form>`
        : `<form method="post" action="${routes.revoke}"><input type="hidden" name="session" value="${escapeHtml(handle)}">` +
          `<button class="btn small danger" type="submit" data-testid="revoke">Revoke</button></form>`;
      return `<tr class="${current ? 'current' : ''}" data-session="${escapeHtml(handle)}"${current ? ' data-current="true"' : ''}>
<td><span class="device">${escapeHtml(describeDevice(ua))}</span>${current ? '<span class="badge">This device</span>' : ''}<span class="ua" title="${escapeHtml(ua)}">${escapeHtml(ua || 'no user agent')}</span></td>
<td>${escapeHtml(ip || 'unknown')}</td>
<td>${formatTime(s.createdAt, now)}</td>
<td>${formatTime(s.lastSeenAt, now)}</td>
<td style="text-align:right">${action}</td>
</tr>`;
    })
    .join('\n');
  const others = sessions.filter((s) => !isCurrent(s)).length;
  return layout(
    'Active sessions',
    `<div class="card">
<h1>Active sessions</h1>
<p class="muted">Where <strong>${escapeHtml(user.username)}</strong> is signed in right now: <span data-testid="session-total">${sessions.length}</span> session${sessions.length === 1 ? '' : 's'}. Revoke any you do not recognise.</p>
<table>
<thead><tr><th>Device</th><th>IP address</th><th>Signed in</th><th>Last seen</th><th></th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5" class="muted">No active sessions.</td></tr>'}
</tbody>
</table>
<div class="actions">
<form method="post" action="${routes.signOutOthers}"><button class="btn" type="submit"${others ? '' : ' disabled'}>Sign out everywhere else</button></form>
<form method="post" action="${routes.signOutEverywhere}"><button class="btn danger" type="submit">Sign out everywhere</button></form>
</div>
</div>`,
    { ...options, user },
  );
}

/** A plain page for errors and dead ends (404, 500). */
export function messagePage(title: string, message: string, options: PageOptions & { user?: DemoUser } = {}): string {
  return layout(
    title,
    `<div class="card"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="${routes.home}">Back to the start</a></p></div>`,
    options,
  );
}
