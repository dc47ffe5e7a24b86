import { authenticate, findUser } from '@sessionkit/example-shared/users';
import { deviceMeta, signInPage } from '@sessionkit/example-shared/views';
import { clientIp, FRAMEWORK, html, NOTICES, readForm, redirect, route } from '../../lib/http';
import { sessions } from '../../lib/session';

export const GET = route(async (request) => {
  if (findUser((await sessions().getSession()).userId)) return redirect('/');
  return html(signInPage({ framework: FRAMEWORK, notice: NOTICES[new URL(request.url).searchParams.get('notice') ?? ''] }));
});

export const POST = route(async (request) => {
  const form = await readForm(request);
  const user = authenticate(form.username, form.password);
  if (!user) return html(signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: String(form.username ?? '') }), 401);
  const session = await sessions().session();
  session.data.userId = user.id;
  session.data.device = deviceMeta(request.headers.get('user-agent') ?? undefined, await clientIp());
  // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless after it.
  await session.regenerate();
  return redirect('/');
});
