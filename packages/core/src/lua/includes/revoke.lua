-- Revocation of one session, with the owner check in the same call as the write.

-- @include includes/common
-- @include includes/record

-- Revokes one session only if it belongs to uid: a record whose owner is uid, or, when the caller
-- found the id in uid's index (listed), a connect-redis string (it has no owner field; `sessionkit
-- migrate` indexes such sessions). Returns 1 when it revoked a live session, else 0.
--
-- A listed id is nearly always the user's, so the tombstone goes in first, with SET ... GET,
-- which hands back what it replaced: one call where read-then-write takes two (logout-everywhere
-- does this per session). A record of another owner (a stale entry) is put back as it was, its
-- expiry taken from its header. An unlisted id is read first and written only if it is uid's.
local function revoke(key, uid, listed, now, ttl)
  if not listed then
    local _, rec = read_head(key)
    if not rec or rec.u ~= uid then return 0 end
    tombstone(key, now, ttl)
    return 1
  end
  local old
  if ttl > 0 then
    old = unless_wrongtype(redis.pcall('SET', key, TOMBSTONE .. now, 'PX', ttl, 'XX', 'GET'))
  else
    old = unless_wrongtype(redis.pcall('GETDEL', key))
  end
  -- false: no such key, or not a string (left alone: nothing was written).
  if type(old) ~= 'string' then return 0 end
  -- Byte tests before any parsing: logout-everywhere runs this per session, and the full header
  -- parse (a dozen strings and a table) was most of its Redis CPU. '!' starts a tombstone, '~1'
  -- a record; anything else (a connect-redis string, a future format) was listed, so it is uid's.
  local first = string.byte(old, 1)
  if first == 33 and is_tombstone(old) then return 0 end
  if first ~= 126 or string.sub(old, 1, 2) ~= RECORD_MAGIC then return 1 end
  local owner = record_owner(old)
  -- uid's, or a header cut short (listed, and readable by no one): revoked.
  if owner == uid or owner == nil then return 1 end
  -- Another owner's record (a stale index entry): put it back as it was. One whose times are
  -- damaged (parse_header refuses it) is readable by no one, so there is no expiry to restore: it
  -- stays revoked, and is not counted as uid's.
  local rec = parse_header(old)
  if rec and rec.e > now then redis.call('SET', key, old, 'PXAT', rec.e) end
  return 0
end

-- Logout-everywhere's loop over ids read from the draining key (with ZRANGE): each id is
-- removed from it only once revoked. A revocation that raises an error (an ACL refusal, OOM) is
-- caught, and its id stays in the draining key, where the next logout-everywhere finds it; the
-- others go on. Returns revoked, the number that failed, and the first failure's message.
local function revoke_listed(drain, ids, sprefix, uid, now, ttl)
  local revoked, done, failed, failure = 0, {}, 0, nil
  for _, id in ipairs(ids) do
    local ok, n = pcall(revoke, sprefix .. id, uid, true, now, ttl)
    if ok then
      revoked = revoked + n
      done[#done + 1] = id
    else
      failed = failed + 1
      -- Redis's message for an ACL refusal inside a script names no command: say which it was.
      failure = failure or ((type(n) == 'table' and n.err or tostring(n))
        .. (ttl > 0 and ' (revoking with SET ... XX GET)' or ' (revoking with GETDEL, as revokedTtl is 0)'))
    end
  end
  -- ZREM takes them in slices: unpack puts every argument on Lua's stack.
  for i = 1, #done, 1000 do
    redis.call('ZREM', drain, unpack(done, i, math.min(i + 999, #done)))
  end
  return revoked, failed, failure or ''
end
