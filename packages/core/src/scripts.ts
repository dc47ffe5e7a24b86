import destroyIndexed from './lua/destroy-indexed.lua';
import destroySession from './lua/destroy-session.lua';
import indexAdd from './lua/index-add.lua';
import indexCount from './lua/index-count.lua';
import indexLegacy from './lua/index-legacy.lua';
import indexList from './lua/index-list.lua';
import indexRemove from './lua/index-remove.lua';
import indexReserve from './lua/index-reserve.lua';
import legacyProbe from './lua/legacy-probe.lua';
import revokeAllStart from './lua/revoke-all-start.lua';
import revokeChunk from './lua/revoke-chunk.lua';
import revokeOne from './lua/revoke-one.lua';
import revokeUserSession from './lua/revoke-user-session.lua';
import setIndexed from './lua/set-indexed.lua';
import setSession from './lua/set-session.lua';
import touchIndexed from './lua/touch-indexed.lua';
import touchSession from './lua/touch-session.lua';
import { LuaScript } from './scripting.js';

/**
 * The store's Lua scripts, one file each under src/lua/ (KEYS, ARGV and the reply are in each
 * file's header). Inside a script every redis.call costs Redis a microsecond or two on top of the
 * command itself, so the hot paths (set, touch, revocation) make as few calls as they can; a read
 * is a plain GET from the client, with no script at all.
 *
 * A save, a touch and a destroy have a script per topology, sharing their steps through includes:
 * `*Indexed` (single node) keeps the owner's index in the same call, `*Session` (cluster) writes
 * the session only, and the cluster topology keeps the index in step afterwards.
 */
export const scripts = {
  setIndexed: new LuaScript('set-indexed', setIndexed),
  setSession: new LuaScript('set-session', setSession),
  touchIndexed: new LuaScript('touch-indexed', touchIndexed),
  touchSession: new LuaScript('touch-session', touchSession),
  destroyIndexed: new LuaScript('destroy-indexed', destroyIndexed),
  destroySession: new LuaScript('destroy-session', destroySession),
  revokeAllStart: new LuaScript('revoke-all-start', revokeAllStart),
  revokeChunk: new LuaScript('revoke-chunk', revokeChunk),
  revokeOne: new LuaScript('revoke-one', revokeOne),
  revokeUserSession: new LuaScript('revoke-user-session', revokeUserSession),
  indexAdd: new LuaScript('index-add', indexAdd),
  indexReserve: new LuaScript('index-reserve', indexReserve),
  indexRemove: new LuaScript('index-remove', indexRemove),
  indexList: new LuaScript('index-list', indexList),
  indexCount: new LuaScript('index-count', indexCount),
  indexLegacy: new LuaScript('index-legacy', indexLegacy),
  legacyProbe: new LuaScript('legacy-probe', legacyProbe),
} as const;
