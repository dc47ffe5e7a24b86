-- A save's last step (after includes/set-times): deletes the session and answers {'expired', ...}
-- when it is gone, else writes the record. Leaves: version (the one written, when
-- the record was built here) and record (the record built here; both nil when the caller's was
-- written).

if gone then
  redis.call('DEL', key)
  return {'expired', created, expires, stored_owner, now, stored_version}
end
local version, record
if known then
  -- The caller built this very record (ARGV[1]: its createdAt, absolute expiry, version, owner and
  -- meta are what the stored header, compared in includes/set-read, makes them), all but its two
  -- times, which are Redis's: written in place after it. Two commands, where building the record
  -- here would copy the data once more and leave it for Redis's Lua collector, which costs more.
  redis.call('SET', key, record_arg, 'PXAT', expires_text)
  redis.call('SETRANGE', key, '2', stamp)
else
  version = stored_version + 1
  -- ARGV[5]: 'k' keeps the stored meta, 'c' clears it, 's' followed by the JSON sets it.
  local meta_mode = string.sub(meta_arg, 1, 1)
  meta = ''
  if meta_mode == 'k' then
    local meta_len = rec and tonumber(stored_meta_len) or 0
    if meta_len > 0 then
      local last = meta_at + meta_len - 1
      if last <= #head then
        meta = string.sub(head, meta_at, last)
      else
        meta = redis.call('GETRANGE', key, meta_at - 1, last - 1)
      end
    end
  elseif meta_mode == 's' then
    meta = string.sub(meta_arg, 2)
  end
  -- The record (includes/record.lua's build_record, written out as one concatenation, the stored
  -- createdAt kept as the text it is), with the data out of the caller's record. SET replaces
  -- whatever the key held (a connect-redis string, a foreign value) and sets the expiry in the
  -- same command.
  record = '~1' .. stamp .. '|' .. created .. '|' .. (absolute or '') .. '|' .. version .. '|' .. uid
    .. '|' .. (meta == '' and '0' or #meta) .. '|' .. meta .. string.sub(record_arg, data_at + 1)
  redis.call('SET', key, record, 'PXAT', expires_text)
end
