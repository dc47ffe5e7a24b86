-- A save's second step (after includes/set-read): the session's times from Redis's clock.
-- Leaves: now, created, expires, absolute (nil: no absolute timeout), and gone (true when the save
-- deletes the session: ttl <= 0, or past the absolute timeout).

local now = now_ms()
local created = now
if rec then
  created = rec.c
elseif head == '' and created_arg ~= '' then
  -- Gone, perhaps expired while its request was in flight: the caller's createdAt keeps the
  -- absolute timeout counting from the first write, so a late save cannot start a new lifetime.
  created = math.min(tonumber(created_arg), now)
end
local expires = now + ttl
local absolute = abs > 0 and created + abs or nil
if absolute and absolute < expires then expires = absolute end
local gone = ttl <= 0 or expires <= now
