-- Single node: writes a session record and keeps its owner's index in step, in one call.
--
-- KEYS[1]  the session
-- KEYS[2]  signed-in session: the owner's index
-- KEYS[#]  when the believed stored owner (ARGV[10]) differs from the new one: its index
-- ARGV[1] to ARGV[9] as set-session.lua's
-- ARGV[10] the owner the caller believes is stored, or ''   ARGV[11] session id
-- ARGV[12] the cap, read only when the id joins the index: '<maxSessionsPerUser> <policy:
--          reject | evict> <revokedTtl ms> <session key prefix, for evicted sessions>'
--
-- Reply, when stored and no session was evicted: the caller's record written (ARGV[9] matched),
--   its two times as one string (expiresAt then now, 13 digits each); a record built here, its
--   header (see includes/record.lua: expiresAt, now, createdAt, version). Else {status, createdAt, expiresAt,
--   storedOwner, now, version, evicted...} with status 'ok' (the cap evicted sessions) | 'expired'
--   (ttl <= 0 or past the absolute timeout: deleted) | 'limit' (policy 'reject');
-- or {'revoked'}; or {'conflict', version, value} (as set-session.lua's); or {'owner', storedOwner}
-- (the stored owner is neither the new one nor ARGV[10], so its index was not named; nothing was
-- written, call again naming it).
--
-- A hot path: no helper functions (each would be a closure built on every call), the index work
-- written out below. A save of a session whose owner is unchanged runs GETRANGE, TIME, ZADD,
-- PEXPIREAT ... GT and SET; pruning and the cap run only when the id joins the index (ZADD added it).

-- @include includes/set-read

local believed, sid = ARGV[10], ARGV[11]
-- The stored owner's index must be named in KEYS: it is when it is the new owner's or the believed one.
if stored_owner ~= '' and stored_owner ~= uid and stored_owner ~= believed then
  return {'owner', stored_owner}
end

-- @include includes/set-times

-- An index key expires with its highest score (includes/index.lua's index_expire, written out
-- where a member leaves or joins).
local evicted
if gone then
  if stored_owner ~= '' then
    local idx = stored_owner == uid and KEYS[2] or KEYS[#KEYS]
    if redis.call('ZREM', idx, sid) == 1 then
      local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
      if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
    end
  end
else
  if uid ~= '' then
    local idx = KEYS[2]
    if redis.call('ZADD', idx, expires_text, sid) == 0 then
      -- Already a member: its score moved. The index must outlive it: GT (Redis >= 7) in one O(1)
      -- call, never shortening; older servers refuse the option and recompute from the highest score.
      local extended = redis.pcall('PEXPIREAT', idx, expires_text, 'GT')
      if type(extended) == 'table' then
        local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
        if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
      end
    else
      -- A new member (a sign-in): prune expired members, then apply the cap. An existing member
      -- was counted when it joined, which keeps every other save cheap.
      redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
      local max, policy = string.match(ARGV[12], '^(%d+) (%a+)')
      max = tonumber(max)
      local over = max > 0 and redis.call('ZCARD', idx) - max or 0
      if over > 0 and policy == 'reject' then
        -- Refused: the id leaves again and nothing is written (the index had other members, so
        -- it existed, with its expiry, before this call).
        redis.call('ZREM', idx, sid)
        return {'limit', created, expires, stored_owner, now, stored_version}
      end
      if over > 0 then
        evicted = {}
        for _, victim in ipairs(redis.call('ZRANGE', idx, 0, over)) do
          if #evicted >= over then break end
          if victim ~= sid then
            redis.call('ZREM', idx, victim)
            evicted[#evicted + 1] = victim
          end
        end
      end
      local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
      if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
    end
  end
  if stored_owner ~= '' and stored_owner ~= uid then
    local old = KEYS[#KEYS]
    if redis.call('ZREM', old, sid) == 1 then
      local top = redis.call('ZRANGE', old, -1, -1, 'WITHSCORES')
      if top[2] then redis.call('PEXPIREAT', old, top[2]) end
    end
  end
end

-- @include includes/set-write

-- One string is the reply, where a table would cost Redis a conversion per field: the times of the
-- caller's record, or the header of the one built here.
if not evicted then
  if known then return stamp end
  return string.sub(record, 1, #record - #meta - (#record_arg - data_at))
end
-- Evicted by the cap: each becomes a tombstone (includes/common.lua's tombstone, written out).
local reply = {'ok', created, expires, stored_owner, now, version or stored_version + 1}
local rttl, sprefix = string.match(ARGV[12], '^%d+ %a+ (%d+) (.*)$')
rttl = tonumber(rttl)
for _, victim in ipairs(evicted) do
  if rttl > 0 then
    redis.call('SET', sprefix .. victim, TOMBSTONE .. now, 'PX', rttl)
  else
    redis.call('DEL', sprefix .. victim)
  end
  reply[#reply + 1] = victim
end
return reply
