-- Single node: writes a session record and keeps its owner's index in step, in one call.
--
-- KEYS[1]  the session
-- KEYS[2]  signed-in session: the owner's index
-- KEYS[#]  when the believed stored owner (ARGV[9]) differs from the new one: its index
-- ARGV[1] to ARGV[8] as set-session.lua's
-- ARGV[9]  the owner the caller believes is stored, or ''
-- ARGV[10] maxSessionsPerUser   ARGV[11] policy 'reject' | 'evict'   ARGV[12] revokedTtl ms
-- ARGV[13] session key prefix (for evicted sessions)   ARGV[14] session id
--
-- Reply: {status, createdAt, expiresAt, storedOwner, now, version, evicted...} with status
--   'ok' | 'expired' (ttl <= 0 or past the absolute timeout: deleted) | 'limit' (policy 'reject');
-- or {'revoked'}; or {'conflict', version, value} (as set-session.lua's); or {'owner', storedOwner}
-- (the stored owner is neither the new one nor ARGV[9], so its index was not named; nothing was
-- written, call again naming it).

-- @include includes/common
-- @include includes/record
-- @include includes/index
-- @include includes/set-read

local believed, max, policy, rttl = ARGV[9], tonumber(ARGV[10]), ARGV[11], tonumber(ARGV[12])
local sprefix, sid = ARGV[13], ARGV[14]
-- The stored owner's index must be named in KEYS: it is when it is the new owner's or the believed one.
if stored_owner ~= '' and stored_owner ~= uid and stored_owner ~= believed then
  return {'owner', stored_owner}
end

-- @include includes/set-times

local evicted = {}
if gone then
  if stored_owner ~= '' then index_remove(stored_owner == uid and KEYS[2] or KEYS[#KEYS], sid) end
else
  if uid ~= '' then
    evicted = index_add(KEYS[2], sid, expires, now, max, policy)
    if not evicted then return {'limit', created, expires, stored_owner, now, stored_version} end
  end
  if stored_owner ~= '' and stored_owner ~= uid then index_remove(KEYS[#KEYS], sid) end
end

-- @include includes/set-write

for _, victim in ipairs(evicted) do tombstone(sprefix .. victim, now, rttl) end
local reply = {'ok', created, expires, stored_owner, now, version}
for _, victim in ipairs(evicted) do reply[#reply + 1] = victim end
return reply
