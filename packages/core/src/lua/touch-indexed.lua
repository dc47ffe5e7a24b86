-- Single node: slides a session's expiry to now + ttl (capped by its absolute expiry) by patching
-- the record's times in place, and its score in the owner's index, in one call.
--
-- KEYS[1]  the session      KEYS[2]  when ARGV[2] is not '': that owner's index
-- ARGV[1]  ttl ms (<= 0 deletes)     ARGV[2]  the owner the caller believes is stored, or ''
-- ARGV[3]  session id
--
-- Reply: as touch-session.lua's, or {'owner', storedOwner} (the stored owner is not ARGV[2], so
--   its index was not named; nothing was written, call again naming it)

-- @include includes/common
-- @include includes/record
-- @include includes/index
-- @include includes/touch-read

local believed, sid = ARGV[2], ARGV[3]
if owner ~= '' then
  if owner ~= believed then return {'owner', owner} end
  if gone then
    index_remove(KEYS[2], sid)
  else
    index_add(KEYS[2], sid, expires, now, 0, '')
  end
end

-- @include includes/touch-write
