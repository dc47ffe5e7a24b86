-- Logout-everywhere, phase one (atomic): moves the user's index aside into the draining key, puts
-- the excepted sessions back, then (single node) revokes a first chunk.
--
-- KEYS[1] the index    KEYS[2] the draining key (same slot)
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] session key prefix   ARGV[4] chunk (0 on a cluster)
-- ARGV[5...] ids to keep
-- Reply: {revoked, remaining in the draining key}

-- @include includes/common
-- @include includes/index
-- @include includes/revoke

local idx, drain = KEYS[1], KEYS[2]
local uid, rttl, sprefix, chunk = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
if redis.call('EXISTS', idx) == 1 then
  if redis.call('EXISTS', drain) == 1 then
    redis.call('ZUNIONSTORE', drain, 2, drain, idx, 'AGGREGATE', 'MAX')
    redis.call('DEL', idx)
  else
    redis.call('RENAME', idx, drain)
  end
end
for i = 5, #ARGV do
  local score = redis.call('ZSCORE', drain, ARGV[i])
  if score then
    redis.call('ZREM', drain, ARGV[i])
    redis.call('ZADD', idx, score, ARGV[i])
  end
end
index_expire(idx)
index_expire(drain)
local revoked = 0
if chunk > 0 then
  local now = now_ms()
  local popped = redis.call('ZPOPMIN', drain, chunk)
  for i = 1, #popped, 2 do revoked = revoked + revoke(sprefix .. popped[i], uid, true, now, rttl) end
end
return {revoked, redis.call('ZCARD', drain)}
