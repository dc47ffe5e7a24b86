-- The per-user index: a sorted set of session ids scored by their expiry (ms). Its key expires
-- with its highest score, so no index outlives its sessions, without keyspace notifications.

-- Sets the index key's expiry to its longest-lived member's.
local function index_expire(idx)
  local top = redis.call('ZRANGE', idx, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', idx, top[2]) end
end

-- The index must outlive a member whose expiry just moved to score. GT (Redis >= 7) does that in
-- one O(1) call; older servers refuse the option, and the full recomputation runs instead. GT
-- never shortens: when a member's expiry moves down (the absolute timeout), the index may outlive
-- its members until the next add, remove or prune recomputes it; harmless, and bounded by the
-- longest expiry it ever held.
local function index_extend(idx, score)
  local r = redis.pcall('PEXPIREAT', idx, score, 'GT')
  if type(r) == 'table' and r.err then index_expire(idx) end
end

local function index_remove(idx, sid)
  if redis.call('ZREM', idx, sid) == 1 then index_expire(idx) end
end

-- Adds sid (or moves its score) and, for a new member, prunes expired members and applies the
-- per-user cap. An existing member only slides: its session was counted when it joined, so the
-- cap and the pruning wait for the next new one (a sign-in), which keeps every refresh cheap.
-- Returns false when policy 'reject' refuses a new session, else the list of evicted ids.
local function index_add(idx, sid, score, now, max, policy)
  if max > 0 and policy == 'reject' and not redis.call('ZSCORE', idx, sid) then
    redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
    if redis.call('ZCARD', idx) >= max then return false end
  end
  if redis.call('ZADD', idx, score, sid) == 0 then
    index_extend(idx, score)
    return {}
  end
  redis.call('ZREMRANGEBYSCORE', idx, '-inf', now)
  local evicted = {}
  if max > 0 then
    local over = redis.call('ZCARD', idx) - max
    if over > 0 then
      for _, victim in ipairs(redis.call('ZRANGE', idx, 0, over)) do
        if #evicted >= over then break end
        if victim ~= sid then
          redis.call('ZREM', idx, victim)
          evicted[#evicted + 1] = victim
        end
      end
    end
  end
  index_expire(idx)
  return evicted
end
