-- Logout-everywhere on a single node, phase two: revokes the next chunk of the draining key.
--
-- KEYS[1] the draining key
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] session key prefix   ARGV[4] chunk
-- Reply: {revoked, remaining}

-- @include includes/common
-- @include includes/record
-- @include includes/revoke

local uid, rttl, sprefix, chunk = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local now = now_ms()
local revoked = 0
local popped = redis.call('ZPOPMIN', KEYS[1], chunk)
for i = 1, #popped, 2 do revoked = revoked + revoke(sprefix .. popped[i], uid, true, now, rttl) end
return {revoked, redis.call('ZCARD', KEYS[1])}
