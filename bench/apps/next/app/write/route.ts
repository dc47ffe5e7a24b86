import { write } from '../../lib/sessions';

export async function GET() {
  const session = await write();
  if (!session) return Response.json({ ok: false }, { status: 401 });
  return Response.json({ user: session.userId, counter: session.counter });
}
