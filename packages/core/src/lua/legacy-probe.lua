-- For indexing a session connect-redis wrote without rewriting it (`sessionkit migrate`): tells
-- what the key holds and, for a connect-redis string, when it expires. Cluster: the store then
-- adds the index entry itself (another slot).
--
-- KEYS[1] the session
-- Reply: {'legacy', expiresAt (-1: no expiry)} | {'not-legacy'} | {'missing'}

-- @include includes/common
-- @include includes/record

local head, rec = read_head(KEYS[1])
if head == '' or is_tombstone(head) then return {'missing'} end
if not head or rec or string.sub(head, 1, 1) == '~' then return {'not-legacy'} end
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then return {'legacy', -1} end
return {'legacy', now_ms() + pttl}
