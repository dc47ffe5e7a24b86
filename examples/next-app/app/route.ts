import { homePage } from '@sessionkit/example-shared/views';
import { findUser } from '@sessionkit/example-shared/users';
import { FRAMEWORK, html, NOTICES, redirect, route } from '../lib/http';
import { sessions } from '../lib/session';

/** The home page. A read: one Redis GET for the session (getSession writes nothing), one for the count. */
export const GET = route(async (request) => {
  const session = await sessions().getSession();
  const user = findUser(session.userId);
  // "Your session has ended" only for browsers that brought a session cookie.
  if (!user) return redirect(request.headers.get('cookie')?.includes('sid=') ? '/login?notice=expired' : '/login');
  const sessionCount = await sessions().countUserSessions(user.id);
  const notice = NOTICES[new URL(request.url).searchParams.get('notice') ?? ''];
  return html(homePage({ framework: FRAMEWORK, user, sessionCount, notice }));
});
