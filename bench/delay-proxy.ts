/**
 * A TCP proxy that holds every chunk for a fixed delay in each direction, preserving order:
 * a stand-in for a real network between the app servers and Redis (loopback round trips are
 * ~0.05 ms; across a data-centre network they are 0.2-1 ms, across zones more). Each direction
 * has its own queue; chunks leave in arrival order once their delay has passed. Timers have
 * millisecond resolution, so a 1 ms delay is in practice 1-1.5 ms.
 *
 * Library: `startDelayProxy({ targetHost, targetPort, delayMs })`.
 * CLI (used by the bench, so the proxy has its own event loop):
 *   node --import tsx bench/delay-proxy.ts <targetHost> <targetPort> <delayMs>
 * reports `{ port }` over IPC (or prints it without IPC) and stops on `{ type: 'stop' }`.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface DelayProxyOptions {
  targetHost: string;
  targetPort: number;
  /** Delay added in each direction, in ms. */
  delayMs: number;
}

export interface DelayProxy {
  port: number;
  url: string;
  /** Chunks forwarded so far (both directions). */
  readonly chunks: number;
  close(): Promise<void>;
}

/** Forwards `from` to `to`, each chunk `delayMs` after it arrived, in order. */
function pipeDelayed(from: Socket, to: Socket, delayMs: number, onChunk: () => void): void {
  const queue: { due: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  let ended = false;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length && queue[0]!.due <= now + 0.05) {
      const { chunk } = queue.shift()!;
      if (!to.destroyed) to.write(chunk);
      onChunk();
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

export async function startDelayProxy(options: DelayProxyOptions): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  let chunks = 0;
  const count = () => {
    chunks++;
  };
  const server: Server = createServer((client) => {
    const upstream = connect(options.targetPort, options.targetHost);
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    pipeDelayed(client, upstream, options.delayMs, count);
    pipeDelayed(upstream, client, options.delayMs, count);
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
  const port = (server.address() as { port: number }).port;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get chunks() {
      return chunks;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// CLI: run as a child process.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [host = '127.0.0.1', port = '6379', delay = '1'] = process.argv.slice(2);
  const proxy = await startDelayProxy({ targetHost: host, targetPort: Number(port), delayMs: Number(delay) });
  const stop = async () => {
    await proxy.close();
    process.exit(0);
  };
  process.on('message', (m) => {
    if ((m as { type?: string })?.type === 'stop') void stop();
  });
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  if (process.send) process.send({ port: proxy.port });
  else console.log(`delay proxy on 127.0.0.1:${proxy.port} -> ${host}:${port}, ${delay} ms each way`);
}
