import { read } from '../../lib/sessions';

export async function GET() {
  const session = await read();
  if (!session.userId) return Response.json({ ok: false }, { status: 401 });
  return Response.json({ user: session.userId, counter: session.counter });
}
