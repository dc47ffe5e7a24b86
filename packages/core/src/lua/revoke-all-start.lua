-- Logout-everywhere, phase one (atomic): moves the user's index aside into the draining key, puts
-- the excepted sessions back, then (single node) revokes a first chunk.
--
-- KEYS[1] the index    KEYS[2] the draining key    KEYS[3] where a corrupt index is set aside
-- KEYS[4] where a corrupt draining key is set aside (all four in one slot)
-- ARGV[1] owner, encoded   ARGV[2] revokedTtl ms   ARGV[3] session key prefix   ARGV[4] chunk (0 on a cluster)
-- ARGV[5...] ids to keep
-- Reply: {revoked, remaining in the draining key, failed, first failure's message or '',
--   1 if the index was set aside else 0, 1 if the draining key was set aside else 0}; the ids that
--   failed stay in the draining key (see revoke_listed).

-- @include includes/common
-- @include includes/index
-- @include includes/revoke

-- How long a key set aside is kept, at most, for an operator to look at: a day.
local CORRUPT_KEEP_MS = 86400000

-- A key of another type where a sorted set belongs (tampering, another application's key) would
-- make every logout-everywhere of this user fail with WRONGTYPE. It is renamed to `to` (same
-- slot), out of the way, with an expiry; the store reports it. Returns 1 when it moved the key.
local function set_aside(key, to)
  if unless_wrongtype(redis.pcall('ZCARD', key)) then return 0 end
  redis.call('RENAME', key, to)
  local pttl = redis.call('PTTL', to)
  if pttl < 0 or pttl > CORRUPT_KEEP_MS then redis.call('PEXPIRE', to, CORRUPT_KEEP_MS) end
  return 1
end

local idx, drain = KEYS[1], KEYS[2]
local uid, rttl, sprefix, chunk = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local moved_idx, moved_drain = set_aside(idx, KEYS[3]), set_aside(drain, KEYS[4])
if redis.call('EXISTS', idx) == 1 then
  if redis.call('EXISTS', drain) == 1 then
    redis.call('ZUNIONSTORE', drain, 2, drain, idx, 'AGGREGATE', 'MAX')
    redis.call('DEL', idx)
  else
    redis.call('RENAME', idx, drain)
  end
end
for i = 5, #ARGV do
  local score = redis.call('ZSCORE', drain, ARGV[i])
  if score then
    redis.call('ZREM', drain, ARGV[i])
    redis.call('ZADD', idx, score, ARGV[i])
  end
end
index_expire(idx)
index_expire(drain)
local revoked, failed, failure = 0, 0, ''
if chunk > 0 then
  local ids = redis.call('ZRANGE', drain, 0, chunk - 1)
  revoked, failed, failure = revoke_listed(drain, ids, sprefix, uid, now_ms(), rttl)
end
return {revoked, redis.call('ZCARD', drain), failed, failure, moved_idx, moved_drain}
