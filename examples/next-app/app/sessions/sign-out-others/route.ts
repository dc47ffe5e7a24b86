import { redirect, route } from '../../../lib/http';
import { signedIn } from '../signed-in';

export const POST = route(
  signedIn(async (_request, session) => {
    await session.logoutEverywhere({ keepCurrent: true });
    return redirect('/sessions?notice=others');
  }),
);
