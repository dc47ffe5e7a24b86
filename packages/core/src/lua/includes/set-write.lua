-- A save's last step (after includes/set-times): deletes the session and answers {'expired', ...}
-- when it is gone, else writes the record. Leaves: version (the one written) and record (the
-- record written).

if gone then
  redis.call('DEL', key)
  return {'expired', created, expires, stored_owner, now, stored_version}
end
if meta_mode == 'keep' then
  meta = ''
  local meta_len = rec and tonumber(stored_meta_len) or 0
  if meta_len > 0 then
    local last = meta_at + meta_len - 1
    if last <= #head then
      meta = string.sub(head, meta_at, last)
    else
      meta = redis.call('GETRANGE', key, meta_at - 1, last - 1)
    end
  end
elseif meta_mode == 'clear' then
  meta = ''
end
local version = stored_version + 1
-- The record (includes/record.lua's build_record, written out as one concatenation: one string
-- built, and the stored createdAt kept as the text it is). SET replaces whatever the key held (a
-- connect-redis string, a foreign value) and sets the expiry in the same command.
local record = '~1' .. stamp .. '|' .. (rec and stored_created or created) .. '|' .. (absolute or '') .. '|' .. version .. '|' .. uid
  .. '|' .. (meta == '' and '0' or #meta) .. '|' .. meta .. data
redis.call('SET', key, record, 'PXAT', expires_text)
