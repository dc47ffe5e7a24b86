/**
 * A small SVG chart of the headline numbers, written by hand (no chart dependency): a grid of
 * horizontal bar panels. Each bar is labelled with its value, so the picture is readable
 * without the tables.
 */
import { FIXED_RATE_FRAMEWORKS, type Framework } from './config.js';
import { dec, int, ms } from './format.js';
import { row as httpRow } from './http-compare.js';
import type { BenchResults } from './results.js';
import { logoutRow } from './targets.js';

export interface Bar {
  label: string;
  value: number;
  /** Text shown after the bar; default the value. */
  text?: string;
  color?: string;
}

export interface Panel {
  title: string;
  subtitle?: string;
  bars: Bar[];
  /** Draw the scale from 0 to this (default the largest bar). */
  max?: number;
  /** Logarithmic scale (values > 0). */
  log?: boolean;
}

export const COLORS = {
  ours: '#d9480f',
  oursAlt: '#ff922b',
  connectRedis: '#1c7ed6',
  connectRedisAlt: '#74c0fc',
  memory: '#868e96',
  naive: '#5c940d',
  naiveAlt: '#a9e34b',
  other: '#ae3ec9',
};

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const PANEL_W = 600;
/** Rough width of one character at the 12 px font, for room beside the bars (no text metrics in a hand-written SVG). */
const CHAR_W = 6.6;
const BAR_H = 18;
const GAP = 6;
const HEAD = 44;
const PAD = 16;

function panelHeight(p: Panel): number {
  return HEAD + p.bars.length * (BAR_H + GAP) + PAD;
}

function drawPanel(p: Panel, x: number, y: number): string {
  const out: string[] = [];
  const h = panelHeight(p);
  out.push(`<rect x="${x}" y="${y}" width="${PANEL_W}" height="${h}" rx="6" fill="#fff" stroke="#dee2e6"/>`);
  out.push(`<text x="${x + 12}" y="${y + 20}" font-size="14" font-weight="bold" fill="#212529">${esc(p.title)}</text>`);
  if (p.subtitle) out.push(`<text x="${x + 12}" y="${y + 36}" font-size="11" fill="#868e96">${esc(p.subtitle)}</text>`);
  // The labels on the left and the longest value text on the right get the room they need; the bars the rest.
  const labelW = Math.min(320, Math.max(...p.bars.map((b) => b.label.length), 0) * CHAR_W + 20);
  const textW = Math.max(...p.bars.map((b) => (b.text ?? String(b.value)).length), 0) * CHAR_W + 14;
  const plotX = x + labelW;
  const plotW = Math.max(60, PANEL_W - labelW - textW);
  const values = p.bars.map((b) => b.value).filter((v) => Number.isFinite(v));
  const max = p.max ?? Math.max(...values, 0);
  const min = p.log ? Math.max(Math.min(...values.filter((v) => v > 0)) / 2, 1e-9) : 0;
  const scale = (v: number) => {
    if (!Number.isFinite(v) || v <= 0 || max <= 0) return 0;
    if (!p.log) return (v / max) * plotW;
    return Math.max(2, ((Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))) * plotW);
  };
  p.bars.forEach((bar, i) => {
    const by = y + HEAD + i * (BAR_H + GAP);
    const w = scale(bar.value);
    out.push(`<text x="${plotX - 8}" y="${by + 13}" font-size="12" text-anchor="end" fill="#343a40">${esc(bar.label)}</text>`);
    out.push(`<rect x="${plotX}" y="${by}" width="${w.toFixed(1)}" height="${BAR_H}" rx="2" fill="${bar.color ?? COLORS.other}"/>`);
    out.push(`<text x="${(plotX + w + 6).toFixed(1)}" y="${by + 13}" font-size="12" fill="#212529">${esc(bar.text ?? String(bar.value))}</text>`);
  });
  return out.join('\n');
}

/** Panels laid out in `columns` columns; returns the SVG document. */
export function renderChart(title: string, subtitle: string, panels: Panel[], columns = 2): string {
  const rows: Panel[][] = [];
  for (let i = 0; i < panels.length; i += columns) rows.push(panels.slice(i, i + columns));
  const width = columns * PANEL_W + (columns + 1) * PAD;
  let y = 64;
  const body: string[] = [];
  for (const row of rows) {
    const h = Math.max(...row.map(panelHeight));
    for (const [c, p] of row.entries()) body.push(drawPanel(p, PAD + c * (PANEL_W + PAD), y));
    y += h + PAD;
  }
  const height = y + 8;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="-apple-system, Segoe UI, Helvetica, Arial, sans-serif">`,
    `<rect width="100%" height="100%" fill="#f8f9fa"/>`,
    `<text x="${PAD}" y="28" font-size="18" font-weight="bold" fill="#212529">${esc(title)}</text>`,
    `<text x="${PAD}" y="48" font-size="12" fill="#495057">${esc(subtitle)}</text>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** The headline numbers of a run as one SVG. */
export function benchChart(r: BenchResults): string {
  const color = (store: string) =>
    store === 'sessionkit'
      ? COLORS.ours
      : store === 'sessionkit-node-redis'
        ? COLORS.oursAlt
        : store === 'connect-redis9' || store === 'koa-redis'
          ? COLORS.connectRedis
          : store === 'connect-redis8' || store === 'koa-redis-no-rolling'
            ? COLORS.connectRedisAlt
            : store === 'memory' || store === 'cookie'
              ? COLORS.memory
              : COLORS.other;
  const short = (label: string) =>
    label
      .replace(' (ceiling)', '')
      .replace(' (floor: no Redis)', '')
      .replace(' (ceiling: nothing server-side)', ' (ceiling)')
      .replace(' (no store: nothing in Redis)', '')
      .replace(" (koa-session's default: no slide)", '')
      .replace(', touchAfter: 0', ' (touchAfter 0)');
  const names: Record<Framework, string> = { express: 'Express 5', fastify: 'Fastify 5', koa: 'Koa 3', 'react-router': 'React Router 7' };
  const panels: Panel[] = [];
  // The fixed-rate CPU per request is the headline (the targets use it); saturated req/s only when it was not run.
  for (const c of FIXED_RATE_FRAMEWORKS.map((f) => r.fixedRate?.[f])) {
    if (!c) continue;
    for (const path of ['/read', '/write'] as const) {
      const rows = c.rows.filter((x) => x.path === path);
      if (!rows.length) continue;
      panels.push({
        title: `${names[c.framework]}, ${path === '/read' ? 'read path' : 'write path'}: CPU µs per request`,
        subtitle: `app + Redis at a fixed ${int(c.rate)} req/s, ${c.rounds === 1 ? 'one round' : `median of ${c.rounds} rounds`}, lower is better`,
        bars: rows.map((x) => ({
          label: short(x.label),
          value: x.totalCpuUs,
          text: x.client === 'none' ? `${int(x.totalCpuUs)}` : `${int(x.totalCpuUs)} (Redis ${dec(x.redisCpuUs, 1)}, ${dec(x.commandsPerRequest, 2)} cmd)`,
          color: color(x.store),
        })),
      });
    }
  }
  for (const c of r.fixedRate ? [] : [r.express, r.fastify]) {
    if (!c) continue;
    for (const path of ['/read', '/write'] as const) {
      const rows = c.rows.filter((x) => x.path === path);
      if (!rows.length) continue;
      panels.push({
        title: `${c.framework === 'express' ? 'Express 5' : 'Fastify 5'}, ${path === '/read' ? 'read path' : 'write path'}: req/s`,
        subtitle: `median of ${c.rounds} rounds, ${c.connections} connections, higher is better`,
        bars: rows.map((x) => ({
          label: short(x.label),
          value: x.rps,
          text: `${int(x.rps)}  (${dec(x.commandsPerRequest, 2)} cmd/req)`,
          color: color(x.store),
        })),
      });
    }
  }
  if (r.latency) {
    const c = r.latency.http;
    const mem = httpRow(c, 'memory', '/read');
    panels.push({
      title: `Latency added over MemoryStore, ${r.latency.delayMs} ms each way`,
      subtitle: `Express read path at ${int(c.rate ?? 0)} req/s, p50, lower is better`,
      bars: c.rows
        .filter((x) => x.store !== 'memory')
        .map((x) => ({
          label: short(x.label),
          value: mem ? x.p50 - mem.p50 : NaN,
          text: mem ? `+${ms(x.p50 - mem.p50)} (p99 +${ms(x.p99 - mem.p99)})` : 'n/a',
          color: color(x.store),
        })),
    });
  }
  if (r.logout) {
    const n = r.config.logoutSizes.includes(10_000) ? 10_000 : Math.max(...r.config.logoutSizes);
    const bars: Bar[] = [];
    for (const [method, label, col] of [
      ['sessionkit', '@sessionkit', COLORS.ours],
      ['naive-pipelined', 'naive, pipelined', COLORS.naiveAlt],
      ['naive', 'naive, one by one', COLORS.naive],
    ] as const) {
      const x = logoutRow(r.logout, method, n);
      if (x) bars.push({ label: `${label} (loopback)`, value: x.ms, text: `${ms(x.ms)}, ${int(x.roundTrips)} round trips`, color: col });
      const p = r.latency?.logout.find((y) => y.method === method && y.sessions === n);
      if (p) bars.push({ label: `${label} (${r.latency!.delayMs} ms each way)`, value: p.ms, text: `${ms(p.ms)}`, color: col });
    }
    panels.push({ title: `Logout-everywhere, ${int(n)} sessions of one user`, subtitle: 'time, log scale, lower is better', bars, log: true });
  }
  if (r.memory) {
    panels.push({
      title: 'Redis memory per session',
      subtitle: 'INFO used_memory delta / sessions, index included, lower is better',
      bars: r.memory.map((m) => ({
        label: m.label
          .replace('hash-max-listpack-value', 'listpack-value')
          .replace(', 1 session per user', ', 1/user')
          .replace(', 10 sessions per user', ', 10/user')
          .replace(', 1 per user', ', 1/user'),
        value: m.bytesPerSession,
        text: `${int(m.bytesPerSession)} B`,
        color: m.label.startsWith('@sessionkit') ? COLORS.ours : m.label.includes('9') ? COLORS.connectRedis : COLORS.connectRedisAlt,
      })),
    });
  }
  if (r.storeOps) {
    const s = r.storeOps;
    const bars: Bar[] = [];
    for (const op of ['get', 'set', 'touch'] as const) {
      for (const x of s.rows.filter((y) => y.op === op && y.concurrency === 64)) {
        bars.push({
          label: `${op}: ${x.store.startsWith('sessionkit') ? x.label : x.label.replace(' (ioredis)', '').replace(' (node-redis)', '')}`,
          value: x.opsPerSec,
          text: int(x.opsPerSec),
          color: color(x.store),
        });
      }
      const rb = s.redisBenchmark.find((y) => y.test === (op === 'get' ? 'GET' : 'SET') && y.connections === 64 && y.pipeline === 1);
      if (rb && op !== 'touch') bars.push({ label: `${op}: redis-benchmark -c 64`, value: rb.rps, text: int(rb.rps), color: COLORS.memory });
    }
    panels.push({ title: 'Store operations, concurrency 64: ops/s', subtitle: 'one client, no HTTP, higher is better', bars });
  }
  const m = r.meta;
  return renderChart(
    'SessionKit benchmarks',
    `${m.date.slice(0, 10)} · ${m.cpu}, ${m.cores} cores (shared with the load generator) · Node ${m.node} · Redis ${m.redis}${r.config.quick ? ' · QUICK MODE (not representative)' : ''}`,
    panels,
  );
}
