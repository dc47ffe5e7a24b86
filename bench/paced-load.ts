/**
 * Open-loop load at a fixed rate, for the fixed-rate comparison: request i leaves at t0 + i/rate
 * whatever the earlier responses do, over a small pool of keep-alive connections, each request
 * carrying the next session cookie in turn.
 *
 * Why not autocannon's `overallRate`: autocannon gives each connection its share of a second's
 * requests, lets it send them back to back and then waits for the next one-second tick, so a
 * "500 req/s" run is a burst at full speed followed by idle time. CPU per request measured on
 * bursts is that of a saturated server (where clients batch their commands), not of a steady
 * rate, which is what this comparison is for.
 */
import { Agent, request } from 'node:http';
import { latencyRecorder } from './util.js';

export interface PacedRun {
  /** Requests sent. */
  sent: number;
  /** 2xx responses. */
  ok: number;
  /** Non-2xx responses and errors. */
  failures: number;
  /** From the first request sent to the last response. */
  seconds: number;
  /** Response times in ms, measured from each request's scheduled time (no coordinated omission). */
  p50: number;
  p99: number;
}

export class PacedClient {
  private readonly agent: Agent;
  private next: number;

  constructor(
    private readonly port: number,
    private readonly cookies: string[],
    connections: number,
  ) {
    // One agent for the app's life: the connections stay open between runs, as a browser's would.
    this.agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
    this.next = Math.floor(Math.random() * Math.max(1, cookies.length));
  }

  /** Sends `count` requests to `path` at `rate` per second and waits for every response. */
  run(path: string, rate: number, count: number): Promise<PacedRun> {
    const interval = 1000 / rate;
    const latencies = latencyRecorder();
    let sent = 0;
    let done = 0;
    let ok = 0;
    let failures = 0;
    const t0 = performance.now();
    let last = t0;
    return new Promise((resolve) => {
      const finish = () => {
        if (sent < count || done < sent) return;
        resolve({ sent, ok, failures, seconds: (last - t0) / 1000, p50: latencies.percentile(50), p99: latencies.percentile(99) });
      };
      const fire = (scheduled: number) => {
        const cookie = this.cookies[this.next++ % this.cookies.length]!;
        const settle = (good: boolean) => {
          last = performance.now();
          done++;
          if (good) {
            ok++;
            latencies.record(last - scheduled);
          } else failures++;
          finish();
        };
        const req = request({ agent: this.agent, host: '127.0.0.1', port: this.port, path, headers: { cookie } }, (res) => {
          res.resume();
          res.once('end', () => settle(res.statusCode! >= 200 && res.statusCode! < 300));
          res.once('error', () => settle(false));
        });
        req.once('error', () => settle(false));
        req.end();
      };
      const tick = () => {
        const now = performance.now();
        // Everything due by now goes out (a late timer sends the backlog at once, as an open loop must).
        while (sent < count && t0 + sent * interval <= now) fire(t0 + sent++ * interval);
        if (sent < count) setTimeout(tick, Math.max(0, t0 + sent * interval - performance.now()));
        else finish();
      };
      tick();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
