-- Prunes expired members of an index and counts the rest.
--
-- KEYS[1] the index
-- Reply: the number of live entries

-- @include includes/common

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms())
return redis.call('ZCARD', KEYS[1])
