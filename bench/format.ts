/** Number formatting and Markdown tables for the report and the chart. */

export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const dec = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
export const times = (n: number, d = 2) => (Number.isFinite(n) ? `${n.toFixed(d)}x` : 'n/a');
export const ms = (n: number) => (!Number.isFinite(n) ? 'n/a' : n >= 100 ? `${int(n)} ms` : n >= 10 ? `${n.toFixed(1)} ms` : `${n.toFixed(2)} ms`);
export const pct = (r: number) => (Number.isFinite(r) ? `${r >= 1 ? '+' : ''}${((r - 1) * 100).toFixed(1)}%` : 'n/a');
export const mark = (met: boolean | null, informational = false) =>
  informational ? 'for information' : met === null ? 'not measured' : met ? '**met**' : '**missed**';

export function table(head: string[], rows: (string | number)[][], align?: ('l' | 'r')[]): string {
  const a = align ?? head.map((_, i) => (i === 0 ? 'l' : 'r'));
  return [`| ${head.join(' | ')} |`, `| ${a.map((x) => (x === 'r' ? '---:' : '---')).join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
