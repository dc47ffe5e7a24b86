-- Destroys a session: a tombstone takes its place (see includes/common), and (single node) it
-- leaves its owner's index.
--
-- KEYS[1]  the session      KEYS[2]  single node, when ARGV[2] is not '': that owner's index
-- ARGV[1]  revokedTtl ms    ARGV[2]  the owner the caller believes is stored, or ''
-- ARGV[3]  '1' when this call maintains the index (single node)    ARGV[4] session id
--
-- Reply: {removed (0|1), owner} | {'owner', storedOwner} (single node: not ARGV[2]; nothing done)

-- @include includes/common
-- @include includes/record
-- @include includes/index

local key = KEYS[1]
local rttl, believed, with_index, sid = tonumber(ARGV[1]), ARGV[2], ARGV[3] == '1', ARGV[4]
local head, rec = read_head(key)
if not head then
  redis.call('DEL', key)
  return {1, ''}
end
if head == '' or is_tombstone(head) then return {0, ''} end
local owner = rec and rec.u or ''
if with_index and owner ~= '' and owner ~= believed then return {'owner', owner} end
tombstone(key, now_ms(), rttl)
if with_index and owner ~= '' then index_remove(KEYS[2], sid) end
return {1, owner}
