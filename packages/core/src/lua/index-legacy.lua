-- Single node: puts a session connect-redis wrote into its owner's index, without rewriting it
-- (connect-redis can still read it: a migration can roll back). Idempotent.
--
-- KEYS[1] the session   KEYS[2] the owner's index
-- ARGV[1] session id    ARGV[2] expiry to index a session with no TTL under (ms)
-- Reply: 'indexed' | 'already' | 'not-legacy' | 'missing'

-- @include includes/common
-- @include includes/record
-- @include includes/index

local head, rec = read_head(KEYS[1])
if head == '' or is_tombstone(head) then return 'missing' end
if not head or rec or string.sub(head, 1, 1) == '~' then return 'not-legacy' end
local pttl = redis.call('PTTL', KEYS[1])
local now = now_ms()
local score = pttl >= 0 and now + pttl or tonumber(ARGV[2])
if redis.call('ZADD', KEYS[2], 'GT', score, ARGV[1]) == 1 then
  index_expire(KEYS[2])
  return 'indexed'
end
index_extend(KEYS[2], score)
return 'already'
