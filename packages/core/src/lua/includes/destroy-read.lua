-- A destroy's first step, shared by destroy-indexed.lua and destroy-session.lua: reads ARGV[1]
-- (revokedTtl ms) and what is stored; answers when there is nothing to destroy.
-- Leaves: key, rttl, owner ('' for an anonymous session or a connect-redis string).

local key, rttl = KEYS[1], tonumber(ARGV[1])
local head, rec = read_head(key)
if not head then
  -- Not a string: deleted, as a session would be.
  redis.call('DEL', key)
  return {1, ''}
end
if head == '' or is_tombstone(head) then return {0, ''} end
local owner = rec and rec.u or ''
