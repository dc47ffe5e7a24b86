-- A touch's first step, shared by touch-indexed.lua and touch-session.lua (straight-line code, not a
-- function: a touch is a hot path, and a function is a closure built on every call). Reads
-- ARGV[1] (ttl ms) and the record; answers for anything but a record of this format (a
-- connect-redis string slides as connect-redis would slide it).
-- Leaves: key, ttl, now, rec, owner, expires, gone (true when the touch deletes the session).

local key, ttl = KEYS[1], tonumber(ARGV[1])
local head, rec = read_head(key)
if not head or head == '' or is_tombstone(head) then return {'missing'} end
local now = now_ms()
if not rec then
  -- A record of a format this release does not know: leave it alone.
  if string.sub(head, 1, 1) == '~' then return {'missing'} end
  -- A string connect-redis wrote keeps sliding as connect-redis would slide it.
  if ttl <= 0 then
    redis.call('DEL', key)
    return {'expired', 0, ''}
  end
  redis.call('PEXPIRE', key, ttl)
  return {'ok', now + ttl, '', now}
end
local owner = rec.u
local expires = now + ttl
if rec.a and rec.a < expires then expires = rec.a end
local gone = ttl <= 0 or expires <= now
