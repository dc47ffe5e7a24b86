-- Prunes expired members of an index and lists the rest.
--
-- KEYS[1] the index
-- Reply: {sid, expiresAt, sid, expiresAt, ...}, soonest expiry first

-- @include includes/common

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
