import type { SessionStore } from '@sessionkit/core';
import type { Prefixes } from './classify.js';
import type { Connection } from './connect.js';
import type { Output } from './output.js';

export interface Context {
  out: Output;
  connection: Connection;
  store: SessionStore;
  prefixes: Prefixes;
  /** Aborted on Ctrl-C / SIGTERM: long commands stop at the next batch and report what they did. */
  signal: AbortSignal;
}

/** What a command hands back: its JSON document, and how to show it to a person. */
export interface Result {
  data: unknown;
  render(out: Output): void;
  /** Default 0. */
  exitCode?: number;
}
