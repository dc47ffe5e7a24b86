-- A touch's first step, shared by touch-indexed.lua and touch-session.lua (straight-line code with
-- no helper function and no table, as a save's steps: a touch is a hot path, and a function is a
-- closure built on every call). Reads ARGV[1] (ttl ms) and the record; answers for anything but a
-- record of this format (a connect-redis string slides as connect-redis would slide it).
-- Leaves: key, ttl, now, owner, expires, gone (true when the touch deletes the session), stamp and
-- expires_text.

-- @include includes/layout

local key, ttl = KEYS[1], tonumber(ARGV[1])
-- The first HEAD_BYTES; a key of another type is no session (WRONGTYPE), any other error is raised.
local head = redis.pcall('GETRANGE', key, '0', HEAD_LAST)
if type(head) == 'table' then
  if string.sub(head.err, 1, 9) ~= 'WRONGTYPE' then error(head) end
  return {'missing'}
end
if head == '' or (string.byte(head, 1) == 33 and string.sub(head, 1, #TOMBSTONE) == TOMBSTONE) then return {'missing'} end
local stored_e, stored_l, _, absolute, _, owner = string.match(head, HEADER)
if not stored_e and #head == HEAD_BYTES and string.sub(head, 1, 2) == RECORD_MAGIC then
  -- A header longer than HEAD_BYTES (a very long user id): read the value whole.
  head = redis.call('GET', key)
  stored_e, stored_l, _, absolute, _, owner = string.match(head, HEADER)
end
-- now in ms, as text first (see includes/set-times: printing a number costs as much as a command).
local time = redis.call('TIME')
local now_text = time[1] .. string.sub('00000' .. time[2], -6, -4)
local now = tonumber(now_text)
-- A record whose times are not numbers is damaged: not a record (as record-format.ts decides).
if not (stored_e and tonumber(stored_e) and tonumber(stored_l)) then
  -- A record of a format this release does not know: leave it alone.
  if string.sub(head, 1, 1) == '~' then return {'missing'} end
  -- A string connect-redis wrote keeps sliding as connect-redis would slide it.
  if ttl <= 0 then
    redis.call('DEL', key)
    return {'expired', 0, ''}
  end
  redis.call('PEXPIRE', key, ttl)
  return {'ok', now + ttl, '', now}
end
local expires = now + ttl
absolute = tonumber(absolute)
if absolute and absolute < expires then expires = absolute end
local gone = ttl <= 0 or expires <= now
-- The record's two times as it holds them (13 digits each), and the expiry as text: printed once,
-- rather than by every command that takes it (see includes/set-times).
local expires_text = string.format('%013d', expires)
local stamp = expires_text .. now_text
