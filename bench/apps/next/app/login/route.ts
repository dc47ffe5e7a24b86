import { login } from '../../lib/sessions';

export async function GET(request: Request) {
  await login(new URL(request.url).searchParams.get('u') ?? '0');
  return Response.json({ ok: true });
}
