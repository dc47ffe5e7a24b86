import { settings } from '../../lib/settings';

/** Liveness for load balancers: never reads a cookie or waits on Redis. `redis` is the client's state as last seen (no round trip). */
export function GET() {
  return Response.json({ status: 'ok', redis: settings().redisStatus() }, { headers: { 'cache-control': 'no-store' } });
}
