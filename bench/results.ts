/** The shape of one benchmark run's results, shared by the report, the targets and the chart. */
import type { BenchConfig, Section } from './config.js';
import type { FixedRateResult } from './fixed-rate.js';
import type { HttpComparison } from './http-compare.js';
import type { LatencyResult } from './latency.js';
import type { LogoutResult } from './logout.js';
import type { MemoryRow } from './redis-cost.js';
import type { StoreOpsResult } from './store-ops.js';

export interface Meta {
  date: string;
  cpu: string;
  cores: number;
  memoryGb: number;
  os: string;
  node: string;
  redis: string;
  packages: Record<string, string>;
  loadStart: number[];
  loadEnd: number[];
  seconds: number;
  command: string;
}

export interface BenchResults {
  meta: Meta;
  config: BenchConfig;
  sections: Section[];
  /** CPU per request at a fixed rate: the table the targets are checked against. */
  fixedRate?: FixedRateResult;
  express?: HttpComparison;
  fastify?: HttpComparison;
  memory?: MemoryRow[];
  logout?: LogoutResult;
  storeOps?: StoreOpsResult;
  latency?: LatencyResult;
}

/** One budget from the issue, checked against this run. */
export interface Target {
  area: string;
  target: string;
  measured: string;
  /** null: not measured in this run, or informational. */
  met: boolean | null;
  note: string;
  /** A figure shown beside the targets that no target was set for: never met or missed. */
  informational?: boolean;
}
