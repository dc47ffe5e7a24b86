-- Single node: slides a session's expiry to now + ttl (capped by its absolute expiry) by patching
-- the record's times in place, and its score in the owner's index, in one call.
--
-- KEYS[1]  the session      KEYS[2]  when ARGV[2] is not '': that owner's index
-- ARGV[1]  ttl ms (<= 0 deletes)     ARGV[2]  the owner the caller believes is stored, or ''
-- ARGV[3]  session id
--
-- Reply: when touched, the record's new times as one string (expiresAt then now, 13 digits each);
--   else as touch-session.lua's ({'expired', 0, owner} | {'missing'}; {'ok', expiresAt, '', now}
--   for a connect-redis string), or {'owner', storedOwner} (the stored owner is not ARGV[2], so
--   its index was not named; nothing was written, call again naming it)

-- A hot path: no helper functions (each would be a closure built on every call). A touch of a
-- signed-in session runs GETRANGE, TIME, ZADD, PEXPIREAT ... GT, SETRANGE and PEXPIREAT.

-- @include includes/touch-read

local believed, sid = ARGV[2], ARGV[3]
if owner ~= '' then
  if owner ~= believed then return {'owner', owner} end
  local idx = KEYS[2]
  if gone then
    if redis.call('ZREM', idx, sid) == 1 then
      local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
      if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
    end
  elseif redis.call('ZADD', idx, expires_text, sid) == 0 then
    -- Its score moved: the index must outlive it (as in set-indexed.lua: GT, or on Redis < 7 the
    -- expiry recomputed from the highest score).
    local extended = redis.pcall('PEXPIREAT', idx, expires_text, 'GT')
    if type(extended) == 'table' then
      local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
      if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
    end
  else
    -- Back in the index (it had been dropped): prune expired members and set the index's expiry.
    redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
    local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
    if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
  end
end

-- @include includes/touch-write

-- The record's new times (expiresAt, then now; 13 digits each) are the reply: one string, where a
-- table would cost Redis a conversion per field.
return stamp
