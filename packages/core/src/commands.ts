import type { Cluster, Redis } from 'ioredis';
import * as lua from './scripts.js';

/**
 * The store's Lua scripts as ioredis custom commands (EVALSHA with a NOSCRIPT fallback).
 * Key counts are passed per call, since some scripts take an optional second key.
 */
const SCRIPTS = {
  sessionkitSet: lua.SET,
  sessionkitGet: lua.GET,
  sessionkitTouch: lua.TOUCH,
  sessionkitDestroy: lua.DESTROY,
  sessionkitRevokeAllStart: lua.REVOKE_ALL_START,
  sessionkitRevokeChunk: lua.REVOKE_CHUNK,
  sessionkitRevokeOne: lua.REVOKE_ONE,
  sessionkitIndexAdd: lua.INDEX_ADD,
  sessionkitIndexReserve: lua.INDEX_RESERVE,
  sessionkitIndexRemove: lua.INDEX_REMOVE,
  sessionkitIndexList: lua.INDEX_LIST,
  sessionkitIndexCount: lua.INDEX_COUNT,
  sessionkitIsLive: lua.IS_LIVE,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
type ScriptFn = (numKeys: number, ...keysAndArgs: (string | number)[]) => Promise<unknown>;
export type ScriptClient = { [K in ScriptName]: ScriptFn };

const defined = new WeakSet<object>();

export function withScripts<C extends Redis | Cluster>(client: C): C & ScriptClient {
  if (!defined.has(client)) {
    for (const [name, source] of Object.entries(SCRIPTS)) client.defineCommand(name, { lua: source });
    defined.add(client);
  }
  return client as C & ScriptClient;
}
