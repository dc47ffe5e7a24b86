-- Cluster: the index half of a write, run once the session exists (the session key lives in
-- another slot). An entry whose session is not written yet would be pruned as stale by a
-- concurrent listing, and the session would then live on outside its index.
--
-- KEYS[1] the index   KEYS[2] optional: the pending set (the place INDEX_RESERVE took, released here)
-- ARGV[1] session id   ARGV[2] ttl ms   ARGV[3] maxSessionsPerUser   ARGV[4] policy
-- ARGV[5] optional: the session's expiresAt (an absolute timeout can end it before now + ttl)
-- Reply: {'ok', evicted...} | {'limit'}

-- @include includes/common
-- @include includes/index

local now = now_ms()
local score = now + tonumber(ARGV[2])
if ARGV[5] and tonumber(ARGV[5]) and tonumber(ARGV[5]) < score then score = tonumber(ARGV[5]) end
local evicted = index_add(KEYS[1], ARGV[1], score, now, tonumber(ARGV[3]), ARGV[4])
if KEYS[2] then index_remove(KEYS[2], ARGV[1]) end
if not evicted then return {'limit'} end
local reply = {'ok'}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
