-- Logout-everywhere on a single node, phase two: revokes the next chunk of the draining key.
--
-- KEYS[1] the draining key
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] session key prefix   ARGV[4] chunk
-- Reply: {revoked, remaining, failed, first failure's message or ''}; the ids that failed stay
--   in the draining key (see revoke_listed).

-- @include includes/common
-- @include includes/record
-- @include includes/revoke

local uid, rttl, sprefix, chunk = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local ids = redis.call('ZRANGE', KEYS[1], 0, chunk - 1)
local revoked, failed, failure = revoke_listed(KEYS[1], ids, sprefix, uid, now_ms(), rttl)
return {revoked, redis.call('ZCARD', KEYS[1]), failed, failure}
