import { SingleBar } from 'cli-progress';
import Table from 'cli-table3';
import picocolors from 'picocolors';

/**
 * Everything the CLI prints goes through here. Two modes:
 * - `--json`: exactly one JSON document on stdout (the command's result, or `{ "error": ... }`),
 *   nothing else there; progress bars may still draw on stderr when it is a terminal.
 * - readable: tables and lines on stdout, notes on stderr; colours only when the stream is a
 *   terminal and NO_COLOR is unset or empty (https://no-color.org), FORCE_COLOR forces them.
 */

export type Colors = ReturnType<typeof picocolors.createColors>;

export interface Stream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Io {
  stdout: Stream;
  stderr: Stream;
  env: NodeJS.ProcessEnv;
}

export function colorsEnabled(stream: Stream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

export interface Progress {
  increment(by?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const noProgress: Progress = { increment() {}, setTotal() {}, stop() {} };

export class Output {
  /** Colours for stdout and for stderr, each decided for its own stream. */
  readonly c: Colors;
  readonly ce: Colors;

  constructor(
    private readonly io: Io,
    readonly json: boolean,
    private readonly showProgress = true,
  ) {
    this.c = picocolors.createColors(colorsEnabled(io.stdout, io.env));
    this.ce = picocolors.createColors(colorsEnabled(io.stderr, io.env));
  }

  /** A line of the readable result (stdout); dropped in JSON mode. */
  line(text = ''): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** A note beside the result (stderr), such as where the CLI connected; dropped in JSON mode. */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${this.ce.dim(text)}\n`);
  }

  /** A warning or error message (stderr), in both modes. */
  error(text: string): void {
    this.io.stderr.write(`${this.ce.red(text)}\n`);
  }

  /** The JSON document (stdout); called once per run. */
  document(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }

  table(head: string[], rows: (string | number)[][], options: { align?: ('left' | 'right')[] } = {}): string {
    const table = new Table({
      head: head.map((h) => this.c.bold(h)),
      // cli-table3 colours headers red by default (through @colors/colors, which ignores NO_COLOR).
      style: { head: [], border: [], compact: true },
      ...(options.align ? { colAligns: options.align } : {}),
    });
    for (const row of rows) table.push(row.map(String));
    return table.toString();
  }

  /** A progress bar on stderr when it is a terminal; a no-op otherwise (pipes, CI, tests). */
  progress(label: string, total: number): Progress {
    if (!this.showProgress || this.io.stderr.isTTY !== true) return noProgress;
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} keys | {rate} keys/s | ETA {eta_formatted}`,
      stream: this.io.stderr as NodeJS.WriteStream,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 5,
    });
    const started = Date.now();
    let value = 0;
    bar.start(Math.max(total, 1), 0, { rate: '0' });
    return {
      increment(by = 1) {
        value += by;
        const seconds = (Date.now() - started) / 1000;
        bar.update(Math.min(value, bar.getTotal()), { rate: seconds > 0 ? Math.round(value / seconds).toString() : '0' });
      },
      setTotal(next) {
        bar.setTotal(Math.max(next, value, 1));
      },
      stop() {
        bar.stop();
      },
    };
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "2026-12-02 01:56:34Z": UTC, sortable, no locale surprises in a support ticket. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  if (!Number.isFinite(ms) || Number.isNaN(d.getTime())) return 'never';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

/** "3d 4h", "12m 5s", "850 ms": two units at most, which is what a reader takes in. */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)} ms`;
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const first = units.findIndex(([, size]) => abs >= size);
  const [unit, size] = units[first]!;
  const whole = Math.floor(abs / size);
  const parts = [`${whole}${unit}`];
  const next = units[first + 1];
  if (next) {
    const n = Math.floor((abs - whole * size) / next[1]);
    if (n > 0) parts.push(`${n}${next[0]}`);
  }
  return parts.join(' ');
}

/** "in 23h 59m" or "3m 2s ago", relative to `now`. */
export function relative(ms: number, now: number): string {
  if (ms >= Number.MAX_SAFE_INTEGER / 2) return 'never';
  const delta = ms - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}
