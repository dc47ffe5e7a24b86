-- Cluster, policy 'reject': reserves a place before the session is written, so that the cap
-- refuses before anything is stored. The place goes in a pending set beside the index (same
-- slot), not in the index itself: an index entry whose session does not exist yet would be
-- pruned as stale by a concurrent listing, and the session would then live on outside its index.
--
-- KEYS[1] the index   KEYS[2] the pending set
-- ARGV[1] session id   ARGV[2] ttl ms   ARGV[3] maxSessionsPerUser
-- Reply: 1 reserved (or already indexed), 0 at the cap

-- @include includes/common
-- @include includes/index

local idx, pending, sid = KEYS[1], KEYS[2], ARGV[1]
local now = now_ms()
redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
redis.call('ZREMRANGEBYSCORE', pending, '-inf', now)
if redis.call('ZSCORE', idx, sid) then return 1 end
if not redis.call('ZSCORE', pending, sid) and redis.call('ZCARD', idx) + redis.call('ZCARD', pending) >= tonumber(ARGV[3]) then
  return 0
end
redis.call('ZADD', pending, now + tonumber(ARGV[2]), sid)
index_expire(pending)
return 1
