-- Cluster: writes a session record, the session half of a save (the owner's index lives in
-- another slot: the store keeps it in step afterwards, see topology/cluster.ts).
--
-- KEYS[1]  the session
-- ARGV[1]  the record the caller expects written: its header with both times as 26 '0's, its meta
--          and its data (serialized); ARGV[8] says where the data starts
-- ARGV[2]  ttl ms (<= 0 deletes)
-- ARGV[3]  absoluteTimeout ms (0 off) ARGV[4]  new owner, encoded, or ''
-- ARGV[5]  meta: 'k' keeps the stored one, 'c' clears it, 's' followed by the JSON sets it
-- ARGV[6]  the version the caller loaded ('' writes whatever is stored; '0': loaded nothing)
-- ARGV[7]  the createdAt the caller last read, or '' (used when the record is gone; and as the
--          stored one when ARGV[9] matched, which includes it)
-- ARGV[8]  how many bytes of ARGV[1] come before the data
-- ARGV[9]  what the caller expects stored, when it loaded the session (ARGV[6] and ARGV[7]) and
--          keeps its owner: the header from the '|' before createdAt to the '|' after the owner,
--          then '0|' (no meta) when meta is kept; else ''. When the stored header starts so,
--          ARGV[1] is written as it is, with Redis's times put in; otherwise the record is built
--          here from what is stored and the data of ARGV[1].
--
-- Reply: {status, createdAt, expiresAt, storedOwner, now, version} with status 'ok' | 'expired'
--   (ttl <= 0 or past the absolute timeout: deleted); or {'revoked'}; or {'conflict', version,
--   value} (the stored version is not ARGV[6]: another save landed, or a connect-redis string,
--   version 0, is stored; value is what is stored, '' when the key is not a string; nothing was
--   written).

-- @include includes/set-read
-- @include includes/set-times
-- @include includes/set-write

return {'ok', created, expires, stored_owner, now, version or stored_version + 1}
