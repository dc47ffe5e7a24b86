/**
 * A TCP proxy that holds every chunk for a fixed delay in each direction, preserving order:
 * a stand-in for a real network between the app servers and Redis (loopback round trips are
 * ~0.05 ms; across a data-centre network they are 0.2-1 ms, across zones more). Each direction
 * has its own queue; chunks leave in arrival order once their delay has passed. Timers have
 * millisecond resolution, so a 1 ms delay is in practice 1-1.5 ms.
 *
 * A child process of section 7 (bench/latency.ts), so that the proxy has its own event loop:
 *   node --import tsx bench/delay-proxy.ts <targetHost> <targetPort> <delayMs>
 * reports `{ port }` over IPC (or prints it without IPC) and stops on `{ type: 'stop' }`.
 */
import { connect, createServer, type Socket } from 'node:net';

const [host = '127.0.0.1', targetPort = '6379', delay = '1'] = process.argv.slice(2);
const delayMs = Number(delay);

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order. */
function pipeDelayed(from: Socket, to: Socket): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now + 0.05) {
      const { chunk } = queue.shift()!;
      if (!to.destroyed) to.write(chunk);
    }
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
    else if (ended && !to.destroyed) to.end();
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    if (!timer) timer = setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    ended = true;
    if (!timer) flush();
  });
}

const sockets = new Set<Socket>();
const server = createServer((client) => {
  const upstream = connect(Number(targetPort), host);
  for (const s of [client, upstream]) {
    s.setNoDelay(true);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  }
  pipeDelayed(client, upstream);
  pipeDelayed(upstream, client);
  const kill = () => {
    client.destroy();
    upstream.destroy();
  };
  // A graceful close ('end') travels through the queue like data, so a reply sent just before
  // the server closes (QUIT) still arrives first; an error tears both sides down.
  client.on('error', kill);
  upstream.on('error', kill);
});
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(0, '127.0.0.1', () => resolve());
});
const { port } = server.address() as { port: number };
const stop = () => {
  for (const s of sockets) s.destroy();
  server.close(() => process.exit(0));
};
process.on('message', (m) => {
  if ((m as { type?: string })?.type === 'stop') stop();
});
process.on('disconnect', stop);
process.on('SIGTERM', stop);
if (process.send) process.send({ port });
else console.log(`delay proxy on 127.0.0.1:${port} -> ${host}:${targetPort}, ${delayMs} ms each way`);
