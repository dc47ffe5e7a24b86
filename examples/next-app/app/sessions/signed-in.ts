import type { Session } from '@sessionkit/next';
import { type DemoUser, findUser } from '@sessionkit/example-shared/users';
import { redirect } from '../../lib/http';
import { type AppSession, sessions } from '../../lib/session';

/** Runs `page` for a signed-in user with the request's session; sends everyone else to sign in. */
export function signedIn(page: (request: Request, session: Session<AppSession>, user: DemoUser) => Promise<Response>) {
  return async (request: Request) => {
    const session = await sessions().session();
    const user = findUser(session.userId);
    if (!user) return redirect(request.headers.get('cookie')?.includes('sid=') ? '/login?notice=expired' : '/login');
    return page(request, session, user);
  };
}
