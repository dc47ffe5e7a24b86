import { sessionsPage } from '@sessionkit/example-shared/views';
import { FRAMEWORK, html, NOTICES, route } from '../../lib/http';
import { signedIn } from './signed-in';

/** The Active sessions page: this user's sessions, this one marked. */
export const GET = route(
  signedIn(async (request, session, user) => {
    const list = await session.listSessions();
    const notice = NOTICES[new URL(request.url).searchParams.get('notice') ?? ''];
    return html(sessionsPage({ framework: FRAMEWORK, user, sessions: list, currentSessionId: session.id ?? '', notice }));
  }),
);
