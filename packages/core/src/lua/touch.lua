-- Slides a session's expiry to now + ttl (capped by its absolute expiry) by patching the record's
-- times in place, and (single node) its score in the owner's index.
--
-- KEYS[1]  the session      KEYS[2]  single node, when ARGV[2] is not '': that owner's index
-- ARGV[1]  ttl ms (<= 0 deletes)     ARGV[2]  the owner the caller believes is stored, or ''
-- ARGV[3]  '1' when this call maintains the index (single node)    ARGV[4] session id
--
-- Reply: {'ok', expiresAt, owner, now} | {'expired', 0, owner} | {'missing'} |
--   {'owner', storedOwner} (single node: the stored owner is not ARGV[2]; nothing was written)

-- @include includes/common
-- @include includes/record
-- @include includes/index

local key = KEYS[1]
local ttl, believed, with_index, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1', ARGV[4]
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
if with_index and owner ~= '' and owner ~= believed then return {'owner', owner} end
local expires = now + ttl
if rec.a and rec.a < expires then expires = rec.a end
if ttl <= 0 or expires <= now then
  redis.call('DEL', key)
  if with_index and owner ~= '' then index_remove(KEYS[2], sid) end
  return {'expired', 0, owner}
end
redis.call('SETRANGE', key, 2, pad13(expires) .. pad13(now))
redis.call('PEXPIREAT', key, expires)
if with_index and owner ~= '' then index_add(KEYS[2], sid, expires, now, 0, '') end
return {'ok', expires, owner, now}
