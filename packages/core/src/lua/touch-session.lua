-- Cluster: slides a session's expiry to now + ttl (capped by its absolute expiry) by patching the
-- record's times in place. The owner's index lives in another slot: the store moves the
-- session's score there afterwards (see topology/cluster.ts).
--
-- KEYS[1]  the session      ARGV[1]  ttl ms (<= 0 deletes)
--
-- Reply: {'ok', expiresAt, owner, now} | {'expired', 0, owner} | {'missing'}

-- @include includes/touch-read
-- @include includes/touch-write

return {'ok', expires, owner, now}
