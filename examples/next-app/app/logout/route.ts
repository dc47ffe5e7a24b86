import { redirect, route } from '../../lib/http';
import { sessions } from '../../lib/session';

/** Ends this session in Redis and clears the cookie. */
export const POST = route(async () => {
  await (await sessions().session()).destroy();
  return redirect('/login?notice=signed-out');
});
