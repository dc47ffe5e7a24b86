-- Revokes one session if it belongs to a user (cluster logout-everywhere runs this per key,
-- grouped by node; cluster evictions and revokeUserSession too).
--
-- KEYS[1] the session
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] '1' when the id was found in the owner's index
-- Reply: 1 revoked, 0 not (absent, revoked already, or another user's)

-- @include includes/common
-- @include includes/record
-- @include includes/revoke

return revoke(KEYS[1], ARGV[1], ARGV[3] == '1', now_ms(), tonumber(ARGV[2]))
