-- A save's first step, shared by set-indexed.lua and set-session.lua: reads ARGV[1] to ARGV[8]
-- (see those scripts' headers) and what is stored, and answers {'revoked'} or {'conflict', ...}.
-- The save's steps (this, set-times, set-write) are straight-line code rather than functions: a
-- function is a closure built again on every call, and a save is a hot path.
-- Leaves for the next steps: key, data, ttl, abs, uid, meta_mode, meta, created_arg, head, rec,
-- stored_version, stored_owner.

local key = KEYS[1]
local data, ttl, abs, uid = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local meta_mode, meta, expect, created_arg = ARGV[5], ARGV[6], ARGV[7], ARGV[8]

local head, rec = read_head(key)
if head and is_tombstone(head) then return {'revoked'} end
local stored_version = rec and rec.v or 0
if expect ~= '' and head ~= '' and tonumber(expect) ~= stored_version then
  -- The stored value, for the caller to merge onto: a record, or a connect-redis string (version
  -- 0) during a rolling deploy. A head shorter than HEAD_BYTES is the whole value already. '' for
  -- a key that is not a string (nothing to merge with).
  local value = ''
  if head then value = #head ~= HEAD_BYTES and head or redis.call('GET', key) end
  return {'conflict', stored_version, value}
end
local stored_owner = rec and rec.u or ''
