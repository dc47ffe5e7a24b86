-- Single node: destroys a session (a tombstone takes its place, see includes/common) and takes it
-- out of its owner's index, in one call.
--
-- KEYS[1]  the session      KEYS[2]  when ARGV[2] is not '': that owner's index
-- ARGV[1]  revokedTtl ms    ARGV[2]  the owner the caller believes is stored, or ''
-- ARGV[3]  session id
--
-- Reply: as destroy-session.lua's, or {'owner', storedOwner} (the stored owner is not ARGV[2];
--   nothing was done, call again naming its index)

-- @include includes/common
-- @include includes/record
-- @include includes/index
-- @include includes/destroy-read

local believed, sid = ARGV[2], ARGV[3]
if owner ~= '' and owner ~= believed then return {'owner', owner} end
tombstone(key, now_ms(), rttl)
if owner ~= '' then index_remove(KEYS[2], sid) end
return {1, owner}
