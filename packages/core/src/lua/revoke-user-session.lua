-- Single node: revokes one session of a user and drops it from the user's index, atomically.
--
-- KEYS[1] the session   KEYS[2] the owner's index
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] session id
-- Reply: 1 revoked, 0 not (absent, revoked already, or another user's)

-- @include includes/common
-- @include includes/record
-- @include includes/index
-- @include includes/revoke

local listed = redis.call('ZSCORE', KEYS[2], ARGV[3])
local revoked = revoke(KEYS[1], ARGV[1], listed ~= false, now_ms(), tonumber(ARGV[2]))
if listed then index_remove(KEYS[2], ARGV[3]) end
return revoked
