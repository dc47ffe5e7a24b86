-- A save's second step (after includes/set-read): the session's times from Redis's clock.
-- Leaves: now, created, expires, absolute (nil: no absolute timeout), gone (true when the save
-- deletes the session: ttl <= 0, or past the absolute timeout), and stamp and expires_text: the
-- record's two times as the record holds them, and the expiry as the commands take it.
--
-- Numbers reach Redis as text, and printing one (a Lua number passed to redis.call, joined with
-- `..`, or given to string.format) costs Redis about as much as a command: measured with
-- `npm run bench:script-cost`, the record's two times printed with string.format were a fifth of
-- a save. So now is put together from TIME's text, the expiry is printed once, here, and the
-- commands and the record get the text; numbers already stored as text (createdAt) stay text.

-- now in ms, as text first: the seconds, then the milliseconds out of the microseconds padded to 6 digits.
local time = redis.call('TIME')
local now_text = time[1] .. string.sub('00000' .. time[2], -6, -4)
local now = tonumber(now_text)
local created = now
if rec then
  -- Text, as stored: printed into the record as it is, and a number only where arithmetic needs one.
  created = stored_created
elseif head == '' and created_arg ~= '' then
  -- Gone, perhaps expired while its request was in flight: the caller's createdAt keeps the
  -- absolute timeout counting from the first write, so a late save cannot start a new lifetime.
  created = math.min(tonumber(created_arg), now)
end
local expires = now + ttl
local absolute
if abs ~= '0' then
  absolute = created + abs
  if absolute < expires then expires = absolute end
end
local gone = ttl <= 0 or expires <= now
-- 13 digits each (from 2001 until the year 2286; a ttl is at most a century).
local expires_text = string.format('%013d', expires)
local stamp = expires_text .. now_text
