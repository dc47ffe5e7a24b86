-- Cluster: destroys a session (a tombstone takes its place, see includes/common). The owner's
-- index lives in another slot: the store takes the id out of it afterwards (see
-- topology/cluster.ts).
--
-- KEYS[1]  the session      ARGV[1]  revokedTtl ms
--
-- Reply: {removed (0|1), owner ('' for none)}

-- @include includes/common
-- @include includes/record
-- @include includes/destroy-read

tombstone(key, now_ms(), rttl)
return {1, owner}
