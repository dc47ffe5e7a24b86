import { findSessionByHandle } from '@sessionkit/example-shared/views';
import { readForm, redirect, route } from '../../../lib/http';
import { signedIn } from '../signed-in';

/** Signs one of this user's devices out. The form names it by its handle, looked up among this user's own sessions only. */
export const POST = route(
  signedIn(async (request, session) => {
    const target = findSessionByHandle(await session.listSessions(), (await readForm(request)).session);
    if (target?.current) return redirect('/logout', 307);
    // revokeSession checks the owner again inside Redis.
    const revoked = target ? await session.revokeSession(target.id) : false;
    return redirect(`/sessions?notice=${revoked ? 'revoked' : 'not-found'}`);
  }),
);
