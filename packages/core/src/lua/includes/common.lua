-- Helpers every script shares. Times are epoch milliseconds from Redis's own clock (TIME), so app
-- servers with skewed clocks agree on expiry.

-- @include includes/layout

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function is_tombstone(value)
  return type(value) == 'string' and string.sub(value, 1, #TOMBSTONE) == TOMBSTONE
end

local function tombstone(key, now, ttl)
  if ttl > 0 then
    redis.call('SET', key, TOMBSTONE .. now, 'PX', ttl)
  else
    redis.call('DEL', key)
  end
end

-- redis.pcall's reply, with one error turned into false: WRONGTYPE (the key holds a value of
-- another type, which callers treat as "not a session"). Any other error (an ACL refusal, OOM)
-- is raised, so that the caller fails instead of taking it for an absent session.
local function unless_wrongtype(reply)
  if type(reply) == 'table' and reply.err then
    if string.sub(reply.err, 1, 9) == 'WRONGTYPE' then return false end
    error(reply)
  end
  return reply
end
