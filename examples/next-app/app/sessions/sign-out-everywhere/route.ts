import { redirect, route } from '../../../lib/http';
import { signedIn } from '../signed-in';

/** Revokes every session of this user, this one too (its cookie is cleared). */
export const POST = route(
  signedIn(async (_request, session) => {
    await session.logoutEverywhere();
    return redirect('/login?notice=everywhere');
  }),
);
